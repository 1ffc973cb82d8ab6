/**
 * Checks every API request passes before it is routed: the Host header names this runner (a
 * page on a rebinding domain cannot talk to it), and requests that change state come as JSON
 * from the site's own pages (a page elsewhere cannot start runs with a `text/plain` form post).
 * Callers without `Origin` (curl, servers, tests) are not browsers acting for a page, and pass.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { errors } from '../errors.ts';

/** The host name of a Host header (`example.org:80` → `example.org`, `[::1]:4321` → `::1`). */
export function hostNameOf(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1].toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

/**
 * Whether a Host header names this runner. An IP address is always fine: DNS rebinding needs a
 * name the attacker controls, and the browser sends that name. So is `localhost` (browsers
 * resolve it to loopback themselves), the name the runner listens on, and the operator's list.
 */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  const name = hostNameOf(host);
  if (isIP(name)) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((entry) => entry.toLowerCase() === name);
}

export function checkHost(req: IncomingMessage, allowed: readonly string[]): void {
  const host = req.headers.host;
  // HTTP/1.0 may omit Host (Node refuses that for 1.1); no browser does.
  if (host !== undefined && !isAllowedHost(host, allowed)) throw errors.hostNotAllowed(host);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A state-changing request must come from a page of this very origin, when a browser sends it. */
export function checkWriteOrigin(req: IncomingMessage): void {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | null = null;
    try {
      originHost = origin === 'null' ? null : new URL(origin).host.toLowerCase();
    } catch {
      // unparsable: not ours
    }
    if (originHost === null || originHost !== (req.headers.host ?? '').toLowerCase()) throw errors.crossSiteWrite(origin === 'null' ? 'a sandboxed or opaque page (Origin: null)' : origin);
  }
  const fetchSite = req.headers['sec-fetch-site'];
  // `same-site` too: the preview origin shares the site's host name (ports do not make a site).
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') throw errors.crossSiteWrite(`a ${fetchSite} page`);
}

/** A request that carries a body must say it is JSON (which a plain HTML form cannot). */
export function checkJsonBody(req: IncomingMessage): void {
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return;
  const type = req.headers['content-type'];
  const essence = type?.split(';')[0].trim().toLowerCase();
  if (essence !== 'application/json') throw errors.notJson(type);
}
