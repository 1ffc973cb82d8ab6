/**
 * The v1 HTTP API as a Node request handler: parse and validate, map errors to statuses, frame
 * the NDJSON stream. Never starts a process itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RunnerConfig } from '../config.ts';
import { errors, RunnerError } from '../errors.ts';
import { LANGUAGES, type ErrorBody, type HealthBody, type RunEvent } from '../protocol.ts';
import type { SessionManager } from '../sessions/session-manager.ts';
import { parseJson, parseRunRequest, parseStdinRequest } from './requests.ts';

/** Bodies larger than this are refused before parsing (code + stdin + JSON escaping). */
function maxBodyBytes(config: RunnerConfig): number {
  return 2 * (config.limits.maxCodeBytes + config.limits.maxStdinBytes) + 4096;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(errors.tooLarge('The request body', size, limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, error: RunnerError): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, error.status, body, error.retryAfterSeconds ? { 'Retry-After': String(error.retryAfterSeconds) } : {});
}

export interface ApiContext {
  config: RunnerConfig;
  /** null when the sandbox could not start: every run route then answers 503. */
  sessions: SessionManager | null;
  unavailableReason?: string;
  log: Logger;
}

const PREVIEW = /^\/api\/sessions\/([^/]+)\/preview\/(\d{1,5})(\/.*)?$/;

/** Handles /api/* requests; returns false for any other path so the caller can serve it. */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://runner');
  const path = url.pathname;
  if (path !== '/api' && !path.startsWith('/api/')) return false;
  const method = req.method ?? 'GET';
  const requestId = randomUUID();
  try {
    await route(ctx, req, res, method, path, url.search);
  } catch (error) {
    if (error instanceof RunnerError) {
      sendError(res, error);
    } else {
      ctx.log.error({ err: error, requestId, method, path }, 'request failed');
      sendError(res, errors.internal(requestId));
    }
  }
  return true;
}

function manager(ctx: ApiContext): SessionManager {
  if (!ctx.sessions) throw errors.sandboxUnavailable(ctx.unavailableReason ?? 'the runner started without a sandbox.');
  return ctx.sessions;
}

function allow(method: string, path: string, allowed: string[]): void {
  if (!allowed.includes(method)) throw errors.methodNotAllowed(method, path, allowed.join(' or '));
}

async function route(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, method: string, path: string, search: string): Promise<void> {
  const preview = PREVIEW.exec(path);
  if (preview) return proxyPreview(ctx, req, res, decodeURIComponent(preview[1]), Number(preview[2]), (preview[3] ?? '/') + search);

  if (path === '/api/health') {
    allow(method, path, ['GET', 'HEAD']);
    const sandbox = ctx.sessions?.sandboxDescription;
    const body: HealthBody = { ok: ctx.sessions !== null, languages: [...LANGUAGES], sandbox: sandbox ? sandbox.name : `unavailable: ${ctx.unavailableReason}`, cgroup: sandbox?.cgroup ?? null };
    return sendJson(res, ctx.sessions ? 200 : 503, body);
  }
  if (path === '/api/sessions') {
    allow(method, path, ['POST']);
    const session = await manager(ctx).createSession();
    return sendJson(res, 201, { id: session.id });
  }
  let match = /^\/api\/sessions\/([^/]+)$/.exec(path);
  if (match) {
    allow(method, path, ['DELETE']);
    await manager(ctx).endSession(decodeURIComponent(match[1]));
    res.writeHead(204).end();
    return;
  }
  if (path === '/api/run') {
    allow(method, path, ['POST']);
    const body = parseJson(await readBody(req, maxBodyBytes(ctx.config)));
    return streamRun(ctx, req, res, parseRunRequest(body, ctx.config.limits));
  }
  match = /^\/api\/runs\/([^/]+)\/stdin$/.exec(path);
  if (match) {
    allow(method, path, ['POST']);
    const body = parseStdinRequest(parseJson(await readBody(req, maxBodyBytes(ctx.config))), ctx.config.limits);
    const run = manager(ctx).getRun(decodeURIComponent(match[1]));
    if ('eof' in body) run.closeStdin();
    else if (!(await run.writeStdin(body.data))) throw errors.badRequest('This run\'s stdin is already closed (it was given up front or ended with {"eof": true}).');
    res.writeHead(204).end();
    return;
  }
  match = /^\/api\/runs\/([^/]+)$/.exec(path);
  if (match) {
    allow(method, path, ['DELETE']);
    manager(ctx).getRun(decodeURIComponent(match[1])).stop('stopped', { graceful: true });
    res.writeHead(204).end();
    return;
  }
  throw errors.routeNotFound(method, path);
}

async function streamRun(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, request: ReturnType<typeof parseRunRequest>): Promise<void> {
  let headersSent = false;
  const sink = (event: RunEvent): boolean => {
    if (!headersSent) {
      headersSent = true;
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.flushHeaders();
    }
    if (res.writableEnded || res.destroyed) return true;
    return res.write(JSON.stringify(event) + '\n');
  };
  const run = await manager(ctx).startRun(request, sink);
  res.on('drain', () => run.resumeOutput());
  // The reader closed the stream: stop the program.
  res.on('close', () => {
    if (!res.writableFinished) run.stop('stopped');
  });
  req.socket.setNoDelay(true);
  const exit = await run.finished;
  sink(exit);
  res.end();
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'cookie', 'authorization']);

async function proxyPreview(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, sessionId: string, port: number, path: string): Promise<void> {
  if (port < 1 || port > 65535) throw errors.badRequest(`Port ${port} is out of range; use 1-65535.`);
  const sessions = manager(ctx);
  sessions.getSession(sessionId);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  headers.host = `127.0.0.1:${port}`;
  headers.connection = 'close';
  await new Promise<void>((resolve, reject) => {
    const upstream = httpRequest(
      {
        method: req.method,
        path,
        headers,
        // Connects inside the session's network. No `agent` option: with `agent: false`
        // Node would ignore createConnection and reach the host's own loopback.
        createConnection: () => sessions.openPreviewConnection(sessionId, port) as unknown as import('node:net').Socket,
        timeout: 10_000,
        insecureHTTPParser: true,
      },
      (answer) => {
        const outHeaders: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'set-cookie' && name !== 'content-security-policy') outHeaders[name] = value;
        }
        // Untrusted pages served from the site's origin: no scripts with same-origin powers.
        outHeaders['content-security-policy'] = 'sandbox';
        outHeaders['x-content-type-options'] = 'nosniff';
        outHeaders['cache-control'] = 'no-store';
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, outHeaders);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', resolve);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('no answer within 10 s')));
    // The reader left: end the relay (and its process in the session) now.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.on('error', (error) => (res.headersSent ? resolve() : reject(errors.previewFailed(port, error.message))));
    req.pipe(upstream);
  });
}
