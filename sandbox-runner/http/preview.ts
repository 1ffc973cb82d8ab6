/**
 * The preview relay: `ANY /api/sessions/:id/preview/:port/<path>` on the preview origin, passed
 * to whatever the session's code serves on 127.0.0.1:<port> inside the session's network.
 *
 * The answer comes from untrusted code, so it is parsed, not passed through: Node's strict
 * parser reads it (a malformed answer is a 502, never a crash), only the headers listed below
 * are copied, and Node frames the reply itself (no upstream Content-Length, Transfer-Encoding,
 * Connection...), so no byte beyond the parsed body can reach the reader's connection.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { request as httpRequest, validateHeaderValue } from 'node:http';
import type { Socket } from 'node:net';
import { errors, RunnerError } from '../errors.ts';
import type { HttpSettings } from '../config.ts';

/** The part of the session manager the relay needs (the lead's sandbox keeps this signature). */
export interface PreviewSessions {
  getSession(id: string): unknown;
  openPreviewConnection(sessionId: string, port: number): import('node:stream').Duplex;
}

export const PREVIEW_PATH = /^\/api\/sessions\/([^/]+)\/preview\/(\d{1,5})(\/.*)?$/;

/** Request headers passed to the session's server; cookies and credentials never are. */
const REQUEST_HEADERS = ['accept', 'accept-language', 'accept-encoding', 'content-type', 'user-agent', 'if-none-match', 'if-modified-since', 'if-range', 'range'];

/**
 * Response headers passed to the reader: what describes the content and its caching. Everything
 * else is dropped: framing and hop-by-hop headers (Node frames the reply), and whatever acts on
 * the reader's browser beyond this page (`Set-Cookie`, which is not port-scoped and would reach
 * the site; `Service-Worker-Allowed`, `Clear-Site-Data`, `Refresh`, `Link`, CORS, CSP, auth).
 */
const RESPONSE_HEADERS = ['content-type', 'content-language', 'content-encoding', 'content-range', 'etag', 'last-modified', 'vary', 'allow', 'retry-after'];

/** Sent with every preview answer, errors included: an untrusted page, with no powers. */
const PREVIEW_SAFETY_HEADERS = {
  'content-security-policy': 'sandbox',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export function previewSafetyHeaders(): Record<string, string> {
  return { ...PREVIEW_SAFETY_HEADERS };
}

/**
 * A Location that stays inside the session's server is rewritten to its preview path; one that
 * leaves it (another host or port) is dropped.
 */
export function rewriteLocation(location: string, upstreamPath: string, prefix: string, port: number): string | undefined {
  let target: URL;
  try {
    target = new URL(location, `http://127.0.0.1:${port}${upstreamPath}`);
  } catch {
    return undefined;
  }
  const sameServer = target.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname) && Number(target.port || 80) === port;
  if (!sameServer) return undefined;
  return `${prefix}${target.pathname}${target.search}${target.hash}`;
}

function copyHeaders(answer: IncomingMessage, upstreamPath: string, prefix: string, port: number): OutgoingHttpHeaders {
  const headers: Record<string, string> = {};
  for (const name of RESPONSE_HEADERS) {
    const value = answer.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const location = answer.headers.location;
  if (location !== undefined) {
    const rewritten = rewriteLocation(location, upstreamPath, prefix, port);
    if (rewritten !== undefined) headers.location = rewritten;
  }
  for (const [name, value] of Object.entries(headers)) validateHeaderValue(name, value);
  return { ...headers, ...PREVIEW_SAFETY_HEADERS };
}

export class PreviewRelay {
  private readonly inFlight = new Map<string, number>();
  private readonly settings: HttpSettings;
  private readonly maxBodyBytes: number;

  constructor(settings: HttpSettings, maxBodyBytes: number) {
    this.settings = settings;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Preview requests of a session in flight now. */
  inFlightFor(sessionId: string): number {
    return this.inFlight.get(sessionId) ?? 0;
  }

  /** Relays one request; throws a RunnerError before any byte of an answer is sent. */
  async relay(sessions: PreviewSessions, req: IncomingMessage, res: ServerResponse, sessionId: string, port: number, path: string): Promise<void> {
    if (port < 1 || port > 65535) throw errors.badRequest(`Port ${port} is out of range; use 1-65535.`);
    sessions.getSession(sessionId);
    const declaredLength = req.headers['content-length'];
    if (declaredLength !== undefined && Number(declaredLength) > this.maxBodyBytes) throw errors.tooLarge('The request body', Number(declaredLength), this.maxBodyBytes);
    const limit = this.settings.maxPreviewConnectionsPerSession;
    const current = this.inFlightFor(sessionId);
    if (current >= limit) throw errors.previewBusy(limit);
    this.inFlight.set(sessionId, current + 1);
    try {
      await this.forward(sessions, req, res, sessionId, port, path);
    } finally {
      const left = this.inFlightFor(sessionId) - 1;
      if (left > 0) this.inFlight.set(sessionId, left);
      else this.inFlight.delete(sessionId);
    }
  }

  private forward(sessions: PreviewSessions, req: IncomingMessage, res: ServerResponse, sessionId: string, port: number, path: string): Promise<void> {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close' };
    for (const name of REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    // Node's server parser checked this number; without it Node sends a body chunked.
    if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
    const prefix = `/api/sessions/${encodeURIComponent(sessionId)}/preview/${port}`;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: RunnerError) => {
        if (settled) return;
        settled = true;
        if (error && !res.headersSent) reject(error);
        else {
          // Past the headers, a failure can only cut the reply short (Node's chunked framing
          // then tells the reader it was cut); nothing else is written to its connection.
          if (error) res.destroy();
          resolve();
        }
      };
      const upstream = httpRequest(
        {
          method: req.method,
          path,
          headers,
          // Connects inside the session's network. No `agent` option: with `agent: false`
          // Node would ignore createConnection and reach the host's own loopback.
          createConnection: () => sessions.openPreviewConnection(sessionId, port) as unknown as Socket,
          timeout: this.settings.previewIdleTimeoutMs,
          insecureHTTPParser: false,
          maxHeaderSize: 16 * 1024,
        },
        (answer) => {
          const status = answer.statusCode ?? 0;
          let outHeaders: OutgoingHttpHeaders;
          try {
            if (status < 200 || status > 599) throw new Error(`status ${String(status).padStart(3, '0')} is not a final status (200-599)`);
            outHeaders = copyHeaders(answer, path, prefix, port);
            res.writeHead(status, outHeaders);
          } catch (error) {
            upstream.destroy();
            finish(errors.previewMalformed(port, (error as Error).message));
            return;
          }
          answer.on('data', (chunk: Buffer) => {
            if (!res.write(chunk)) {
              answer.pause();
              res.once('drain', () => answer.resume());
            }
          });
          answer.on('end', () => {
            res.end();
            finish();
          });
          answer.on('error', (error) => finish(errors.previewMalformed(port, error.message)));
          answer.on('aborted', () => finish(errors.previewMalformed(port, 'the answer was cut short')));
        },
      );
      // A preview is plain HTTP: a switch of protocols (101) has no reader to go to.
      upstream.on('upgrade', (_answer, socket: Socket) => {
        socket.destroy();
        finish(errors.previewMalformed(port, 'it switched protocols (101); previews relay plain HTTP only'));
      });
      upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${this.settings.previewIdleTimeoutMs} ms`)));
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        const parseError = typeof error.code === 'string' && error.code.startsWith('HPE_');
        finish(parseError ? errors.previewMalformed(port, `${error.code}: ${error.message}`) : errors.previewFailed(port, error.message));
      });
      // The reader went away: end the relay (and with it the connection into the session).
      res.on('close', () => {
        if (!res.writableFinished) {
          upstream.destroy();
          finish();
        }
      });
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        if (sent > this.maxBodyBytes) {
          upstream.destroy();
          finish(errors.tooLarge('The request body', sent, this.maxBodyBytes));
        }
      });
      req.pipe(upstream);
    });
  }
}
