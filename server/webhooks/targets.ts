import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { BadRequestError } from '../errors';

/**
 * Server-side request forgery: a webhook URL must not make Lectern call into the centre's
 * own network (the database, the metadata service at 169.254.169.254, a router's admin page).
 * Only public unicast addresses pass; every address a name resolves to is checked, at
 * creation and again at each delivery (the connection uses the addresses checked, so a
 * name that resolves differently the second time, DNS rebinding, reaches nothing private).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

export type TargetRefusal = 'webhook_target_refused' | 'webhook_target_unresolvable';

export class TargetRefusedError extends BadRequestError {
  constructor(code: TargetRefusal, message: string) {
    super(code, message);
  }
}

/** The host's addresses, all of them public (unless private ones are allowed); else a TargetRefusedError. */
export async function resolveTarget(hostname: string, allowPrivate: boolean): Promise<LookupAddress[]> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new TargetRefusedError('webhook_target_unresolvable', `The host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new TargetRefusedError('webhook_target_unresolvable', `The host ${host} does not resolve`);
  if (!allowPrivate) {
    const inside = addresses.find((a) => !isPublicAddress(a.address));
    if (inside)
      throw new TargetRefusedError(
        'webhook_target_refused',
        `The host ${host} resolves to ${inside.address}, which is not a public address`,
      );
  }
  return addresses;
}

/** Checks a URL an admin gives: http or https, a host that resolves to allowed addresses only. */
export async function checkTargetUrl(url: string, allowPrivate: boolean): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new TargetRefusedError('webhook_target_refused', 'Only http and https URLs are allowed');
  if (parsed.username || parsed.password) throw new TargetRefusedError('webhook_target_refused', 'A URL with credentials is not allowed');
  await resolveTarget(parsed.hostname, allowPrivate);
}
