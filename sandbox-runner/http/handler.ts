/**
 * The v1 HTTP API as a Node request handler: parse and validate, map errors to statuses, frame
 * the NDJSON stream. Never starts a process itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RunnerConfig } from '../config.ts';
import { errors, RunnerError } from '../errors.ts';
import { LANGUAGES, type ErrorBody, type HealthBody, type LiveBody, type ReadyBody, type RunEvent } from '../protocol.ts';
import type { SessionManager } from '../sessions/session-manager.ts';
import { parseJson, parseRunRequest, parseStdinRequest, decodePathSegment } from './requests.ts';
import { checkHost, hostNameOf, checkJsonBody, checkWriteOrigin } from './request-guard.ts';
import { clientAddressOf } from './client-address.ts';
import type { ClientQuotas } from './client-quotas.ts';
import { PREVIEW_PATH, previewSafetyHeaders, type PreviewRelay } from './preview.ts';
import { routeWire, WIRE_PATH } from './wire-routes.ts';
import type { RunnerMetrics } from '../metrics.ts';

/** Bodies larger than this are refused before parsing (code + stdin + JSON escaping). */
export function maxBodyBytes(config: RunnerConfig): number {
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

function sendError(res: ServerResponse, error: RunnerError, headers: Record<string, string> = {}): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, error.status, body, { ...headers, ...(error.retryAfterSeconds ? { 'Retry-After': String(error.retryAfterSeconds) } : {}) });
}

export interface ApiContext {
  config: RunnerConfig;
  /** null when the sandbox could not start: every run route then answers 503. */
  sessions: SessionManager | null;
  unavailableReason?: string;
  log: Logger;
  quotas: ClientQuotas;
  previews: PreviewRelay;
  /** Host names besides IP addresses and localhost that requests may name. */
  allowedHosts: readonly string[];
  /** The preview origin for a request to the site (null: this runner serves no previews). */
  previewOriginFor(req: IncomingMessage): string | null;
  metrics: RunnerMetrics;
  /** Set once the runner is leaving (SIGTERM): readiness fails and new work is refused. */
  readonly lifecycle: { draining: boolean };
}

/** Every answer of this runner names it, so an operator (or a test) sees which runner answered behind a router. */
function nameRunner(ctx: ApiContext, res: ServerResponse): void {
  res.setHeader('X-Runner', ctx.config.runnerName);
}

/** Handles /api/* requests on the site's origin; returns false for any other path so the caller can serve it. */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://runner');
  const path = url.pathname;
  if (path !== '/api' && !path.startsWith('/api/') && path !== '/metrics') return false;
  const method = req.method ?? 'GET';
  const requestId = randomUUID();
  nameRunner(ctx, res);
  try {
    checkHost(req, ctx.allowedHosts);
    checkWriteOrigin(req);
    checkJsonBody(req);
    await route(ctx, req, res, method, path, url.search);
  } catch (error) {
    answerError(ctx, res, error, requestId, method, path);
  }
  return true;
}

/**
 * Handles every request on the preview origin: previews only, each answer with the preview's
 * safety headers (errors included); anything else is a 404.
 */
export async function handlePreview(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://preview');
  const method = req.method ?? 'GET';
  const requestId = randomUUID();
  nameRunner(ctx, res);
  try {
    checkHost(req, ctx.allowedHosts);
    allowSiteToRead(req, res, ctx.allowedHosts);
    const preview = PREVIEW_PATH.exec(url.pathname);
    if (!preview) throw errors.previewOnly(url.pathname);
    await ctx.previews.relay(manager(ctx), req, res, decodePathSegment(preview[1]), Number(preview[2]), (preview[3] ?? '/') + url.search);
  } catch (error) {
    answerError(ctx, res, error, requestId, method, url.pathname, previewSafetyHeaders());
  }
}

/**
 * The site's page asks whether the reader's server answers before it shows the preview (a fetch
 * from the site's origin to this one): the site may read preview answers, no one else. The
 * site is the same host on another port, or a host the operator allowed by name.
 */
function allowSiteToRead(req: IncomingMessage, res: ServerResponse, allowedHosts: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin || !req.headers.host) return;
  let originHost: string;
  try {
    originHost = new URL(origin).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return;
  }
  if (originHost === hostNameOf(req.headers.host) || allowedHosts.some((host) => host.toLowerCase() === originHost)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
  }
}

function answerError(ctx: ApiContext, res: ServerResponse, error: unknown, requestId: string, method: string, path: string, headers: Record<string, string> = {}): void {
  if (error instanceof RunnerError) {
    if (error.busyCause) ctx.metrics.busy(error.busyCause);
    if (error.code === 'sandbox-unavailable' && ctx.sessions) ctx.metrics.sandboxFailed(path === '/api/sessions' ? 'session' : 'run-start');
    sendError(res, error, headers);
  } else {
    ctx.log.error({ err: error, requestId, method, path }, 'request failed');
    sendError(res, errors.internal(requestId), headers);
  }
}

function manager(ctx: ApiContext): SessionManager {
  if (!ctx.sessions) throw errors.sandboxUnavailable(ctx.unavailableReason ?? 'the runner started without a sandbox.');
  return ctx.sessions;
}

/** The session manager for new work (a session, a run): refused while the runner drains. */
function managerForNewWork(ctx: ApiContext): SessionManager {
  if (ctx.lifecycle.draining) throw errors.draining(ctx.config.runnerName);
  return manager(ctx);
}


/** A run of the given session (a session-scoped path names both; a run of another session is not found there). */
function runInSession(ctx: ApiContext, sessionId: string | undefined, runId: string) {
  const run = manager(ctx).getRun(runId);
  if (sessionId !== undefined && run.sessionId !== sessionId) throw errors.runNotFound(runId);
  return run;
}

function allow(method: string, path: string, allowed: string[]): void {
  if (!allowed.includes(method)) throw errors.methodNotAllowed(method, path, allowed.join(' or '));
}

async function route(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, method: string, path: string, search: string): Promise<void> {
  if (PREVIEW_PATH.test(path)) {
    // Previews live on their own origin, out of reach of the site's storage and workers.
    const origin = ctx.previewOriginFor(req);
    if (!origin) throw errors.noPreviewOrigin();
    res.writeHead(307, { Location: origin + path + search, 'Cache-Control': 'no-store', 'Content-Length': 0 }).end();
    return;
  }

  if (path === '/api/health') {
    allow(method, path, ['GET', 'HEAD']);
    const sandbox = ctx.sessions?.sandboxDescription;
    const body: HealthBody = { ok: ctx.sessions !== null, runner: ctx.config.runnerName, languages: [...LANGUAGES], sandbox: sandbox ? sandbox.name : `unavailable: ${ctx.unavailableReason}`, cgroup: sandbox?.cgroup ?? null, previewOrigin: ctx.previewOriginFor(req) };
    return sendJson(res, ctx.sessions ? 200 : 503, body);
  }
  if (path === '/metrics') {
    allow(method, path, ['GET']);
    const text = await ctx.metrics.text();
    res.writeHead(200, { 'Content-Type': ctx.metrics.contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (path === '/api/ready') {
    // Readiness: may this runner be given new sessions? Not while it drains or has no sandbox.
    allow(method, path, ['GET', 'HEAD']);
    const reason = ctx.lifecycle.draining ? 'draining: the runner is shutting down and takes no new work' : ctx.sessions ? null : `no sandbox: ${ctx.unavailableReason}`;
    const body: ReadyBody = { ready: reason === null, runner: ctx.config.runnerName, ...(reason ? { reason } : {}) };
    return sendJson(res, reason ? 503 : 200, body);
  }
  if (path === '/api/live') {
    // Liveness: the process answers (a runner without a sandbox or draining is still alive).
    allow(method, path, ['GET', 'HEAD']);
    const body: LiveBody = { live: true, runner: ctx.config.runnerName };
    return sendJson(res, 200, body);
  }
  if (path === '/api/sessions') {
    allow(method, path, ['POST']);
    const sessions = managerForNewWork(ctx);
    const session = await ctx.quotas.createSession(clientAddressOf(req, ctx.config.http.trustProxy), sessions, () => sessions.createSession());
    return sendJson(res, 201, { id: session.id });
  }
  if (WIRE_PATH.test(path)) return routeWire(manager(ctx), req, res, method, path, search, sendJson);
  let match = /^\/api\/sessions\/([^/]+)$/.exec(path);
  if (match) {
    allow(method, path, ['DELETE']);
    const id = decodePathSegment(match[1]);
    await manager(ctx).endSession(id);
    ctx.quotas.sessionEnded(id);
    res.writeHead(204).end();
    return;
  }
  if (path === '/api/run') {
    allow(method, path, ['POST']);
    const body = parseJson(await readBody(req, maxBodyBytes(ctx.config)));
    return streamRun(ctx, req, res, parseRunRequest(body, ctx.config.limits));
  }
  match = /^\/api\/sessions\/([^/]+)\/runs$/.exec(path);
  if (match) {
    allow(method, path, ['POST']);
    const session = decodePathSegment(match[1]);
    const request = parseRunRequest(parseJson(await readBody(req, maxBodyBytes(ctx.config))), ctx.config.limits);
    if (request.session !== undefined && request.session !== session) {
      throw errors.badRequest(`The body names session "${request.session}" but the path names "${session}"; leave "session" out of the body (the path says it) or make them match.`);
    }
    return streamRun(ctx, req, res, { ...request, session });
  }
  // Run-scoped paths: /api/runs/:run/... (one runner) or /api/sessions/:id/runs/:run/... (routable).
  match = /^\/api\/(?:sessions\/([^/]+)\/)?runs\/([^/]+)\/stdin$/.exec(path);
  if (match) {
    allow(method, path, ['POST']);
    const body = parseStdinRequest(parseJson(await readBody(req, maxBodyBytes(ctx.config))), ctx.config.limits);
    const run = runInSession(ctx, match[1] === undefined ? undefined : decodePathSegment(match[1]), decodePathSegment(match[2]));
    if ('eof' in body) run.closeStdin();
    else if (!(await run.writeStdin(body.data))) throw errors.badRequest('This run\'s stdin is already closed (it was given up front or ended with {"eof": true}).');
    res.writeHead(204).end();
    return;
  }
  match = /^\/api\/(?:sessions\/([^/]+)\/)?runs\/([^/]+)$/.exec(path);
  if (match) {
    allow(method, path, ['DELETE']);
    runInSession(ctx, match[1] === undefined ? undefined : decodePathSegment(match[1]), decodePathSegment(match[2])).stop('stopped', { graceful: true });
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
  const sessions = managerForNewWork(ctx);
  const releaseSlot = ctx.quotas.takeRunSlot(clientAddressOf(req, ctx.config.http.trustProxy));
  const requested = performance.now();
  let run: Awaited<ReturnType<SessionManager['startRun']>>;
  try {
    run = await sessions.startRun(request, sink);
  } catch (error) {
    releaseSlot();
    throw error;
  }
  ctx.metrics.runStarted(request.language, (performance.now() - requested) / 1000);
  run.finished.then(releaseSlot, releaseSlot);
  res.on('drain', () => run.resumeOutput());
  // The reader closed the stream: stop the program.
  res.on('close', () => {
    if (!res.writableFinished) run.stop('stopped');
  });
  req.socket.setNoDelay(true);
  const exit = await run.finished;
  ctx.metrics.runEnded(request.language, exit.reason, exit.durationMs / 1000);
  sink(exit);
  res.end();
}
