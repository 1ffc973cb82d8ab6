/**
 * Who a request comes from, as the per-client quotas and connection caps count it. Behind a
 * router every connection comes from the router, so the operator says when its
 * `X-Forwarded-For` may be believed (RUNNER_TRUST_PROXY); otherwise a client could name itself.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';

/**
 * The key a client is counted under: an IPv4 address as is; an IPv6 address by its /64 prefix,
 * since one host is usually given a whole /64 and could otherwise take a new address per request.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address) || address === '::1') return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The client's address: the socket's, or the nearest hop of X-Forwarded-For when trusted. */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
    // The last hop is the one our own router added; earlier ones are the client's word.
    const nearest = hops.at(-1);
    if (nearest) return clientKey(nearest);
  }
  return clientKey(req.socket.remoteAddress);
}
