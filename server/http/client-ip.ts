import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

// The caller's address: X-Forwarded-For is believed only for hops made through a
// proxy on this host (what Express's `trust proxy` = 'loopback' gave as req.ip).
// It keys the login throttle per IP, so it must not be cheaper to spoof than that.
const trustLoopback = proxyaddr.compile('loopback');

export function clientIp(req: IncomingMessage): string {
  return proxyaddr(req, trustLoopback);
}
