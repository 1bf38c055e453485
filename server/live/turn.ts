import { createHmac } from 'node:crypto';
import type { TurnConfig } from '../config';

/** One entry of RTCConfiguration.iceServers, as the pages hand it to mediasoup-client. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What a client gets with each transport: where to relay through, and whether it must. */
export interface IceConfiguration {
  iceServers: IceServer[];
  iceTransportPolicy?: 'relay';
}

/**
 * Time-limited TURN credentials in coturn's REST-API scheme (`use-auth-secret`):
 * the username is `<expiry in Unix seconds>:<who>`, the password
 * base64(HMAC-SHA1(static-auth-secret, username)). coturn recomputes the
 * password from the secret and refuses the username once its expiry has passed,
 * so no account is stored anywhere and a leaked credential dies by itself.
 * coturn checks the expiry when an allocation is made, not while it lasts, so
 * a relay in use outlives its credential; an ICE restart gets fresh ones.
 */
export class TurnCredentials {
  constructor(
    private readonly config: TurnConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** ICE servers for `who` (a user id, or a guest's socket id), valid for the configured TTL. */
  issue(who: string): IceConfiguration {
    const { urls, secret, credentialTtlSeconds, forceRelay } = this.config;
    const stun = urls.filter((u) => u.startsWith('stun:'));
    const relays = urls.filter((u) => !u.startsWith('stun:'));
    const iceServers: IceServer[] = [];
    if (stun.length > 0) iceServers.push({ urls: stun });
    if (relays.length > 0 && secret) {
      const username = `${Math.floor(this.now() / 1000) + credentialTtlSeconds}:${who}`;
      iceServers.push({ urls: relays, username, credential: turnPassword(secret, username) });
    }
    return { iceServers, ...(forceRelay ? { iceTransportPolicy: 'relay' as const } : {}) };
  }
}

/** coturn's password for a REST-API username. */
export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}
