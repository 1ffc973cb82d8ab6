/**
 * Settings every listener of the runner gets (the site's and the preview's): bounded time to
 * receive a request, a strict parser, and a cap on open connections per client address, so
 * slow or idle connections from one client cannot hold the process's file descriptors.
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpSettings } from '../config.ts';
import { clientKey } from './client-address.ts';

/** Options for `http.createServer`. */
export function serverOptions(settings: HttpSettings): ServerOptions {
  return {
    // Covers receiving the request only (headers + body): a run's stream is a long *response*
    // and is not cut by it (checked by tests/runner/exploits/http-hygiene.test.ts).
    requestTimeout: settings.requestTimeoutMs,
    headersTimeout: settings.headersTimeoutMs,
    keepAliveTimeout: 5_000,
    // Node checks the two timeouts above on this interval (30 s by default, which would let a
    // slow request live 30 s past its deadline).
    connectionsCheckingInterval: Math.min(1_000, settings.headersTimeoutMs),
    insecureHTTPParser: false,
    requireHostHeader: true,
  };
}

/** Connections over their client's cap: answered and closed, never served. */
const refusedConnections = new WeakSet<Socket>();

/**
 * Whether a request arrived on a connection over its client's cap (it may have been read in the
 * same instant the connection was refused); the request handler then drops it unserved.
 */
export function isRefusedConnection(socket: Socket): boolean {
  return refusedConnections.has(socket);
}

/** The answer to a connection over the cap, written before closing it (with `X-Runner`, as every API answer). */
function refusal(limit: number, runnerName: string): string {
  const body = JSON.stringify({ error: { code: 'busy', message: `Your address already has ${limit} connections open to this runner (the limit per client). Close some, then try again.` } });
  return `HTTP/1.1 429 Too Many Requests\r\nX-Runner: ${runnerName}\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * Caps the connections one client address holds open on `server`. Behind a trusted router every
 * connection comes from the router, so the cap is then the router's job and is not applied.
 */
export function limitConnectionsPerClient(server: Server, settings: HttpSettings, runnerName: string): void {
  if (settings.trustProxy) return;
  const open = new Map<string, number>();
  const limit = settings.maxConnectionsPerClient;
  server.on('connection', (socket: Socket) => {
    const client = clientKey(socket.remoteAddress);
    const count = open.get(client) ?? 0;
    if (count >= limit) {
      refusedConnections.add(socket);
      socket.on('error', () => {});
      socket.end(refusal(limit, runnerName));
      socket.setTimeout(1_000, () => socket.destroy());
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}
