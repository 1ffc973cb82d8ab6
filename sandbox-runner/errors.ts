/**
 * The one catalogue of errors a request can meet before its run starts, each with its HTTP
 * status and a message that says what was wrong and what to do. A program that fails is not an
 * error: it is a run whose exit event says why it ended.
 */
export type ErrorCode =
  | 'bad-request'
  | 'invalid-json'
  | 'unknown-language'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'too-large'
  | 'unsupported-media-type'
  | 'busy'
  | 'sandbox-unavailable'
  | 'draining'
  | 'preview-failed'
  | 'internal';

/** Which limit a 429 comes from. */
export type BusyCause = 'session-runs' | 'runner-runs' | 'runner-sessions' | 'client-sessions' | 'client-runs' | 'stdin' | 'preview';

export class RunnerError extends Error {
  override name = 'RunnerError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a busy caller should wait (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /** For `busy`: which limit refused (counted in /metrics). */
  readonly busyCause?: BusyCause;

  constructor(code: ErrorCode, status: number, message: string, retryAfterSeconds?: number, busyCause?: BusyCause) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    this.busyCause = busyCause;
  }
}

export const errors = {
  badRequest: (message: string) => new RunnerError('bad-request', 400, message),
  invalidJson: (detail: string) => new RunnerError('invalid-json', 400, `The request body is not valid JSON (${detail}). Send a JSON object with Content-Type: application/json.`),
  unknownLanguage: (language: unknown, known: readonly string[]) =>
    new RunnerError('unknown-language', 400, `Unknown language ${JSON.stringify(language)}; use one of: ${known.join(', ')}.`),
  sessionNotFound: (id: string) => new RunnerError('not-found', 404, `No session "${id}": it ended (idle, lifetime or deleted) or never existed. Create one with POST /api/sessions.`),
  runNotFound: (id: string) => new RunnerError('not-found', 404, `No running run "${id}": it has ended or never existed.`),
  routeNotFound: (method: string, path: string) => new RunnerError('not-found', 404, `No API route ${method} ${path}. See GET /api/health and the API documentation.`),
  methodNotAllowed: (method: string, path: string, allowed: string) => new RunnerError('method-not-allowed', 405, `${method} is not allowed on ${path}; use ${allowed}.`),
  tooLarge: (field: string, bytes: number, limit: number) =>
    new RunnerError('too-large', 413, `${field} is ${bytes} bytes; the limit is ${limit} bytes. Send less.`),
  sessionBusy: (limit: number) =>
    new RunnerError('busy', 429, `This session already has ${limit} runs going (the limit). Stop one (DELETE /api/runs/:id) or wait for it to end.`, 1, 'session-runs'),
  stdinBackpressure: (detail: string) =>
    new RunnerError('busy', 429, `This run's input is not being read: ${detail}. Wait until the program reads what it has, or stop it.`, 1, 'stdin'),
  runnerBusy: (what: string, cause: 'runner-runs' | 'runner-sessions') => new RunnerError('busy', 429, `The runner is at its limit of ${what}; try again in a moment.`, 2, cause),
  clientSessionQuota: (limit: number) =>
    new RunnerError('busy', 429, `Your address already holds ${limit} live sessions (the limit per client). End one with DELETE /api/sessions/:id, or wait for one to expire, then try again.`, 30, 'client-sessions'),
  clientRunQuota: (limit: number) =>
    new RunnerError('busy', 429, `Your address already has ${limit} runs going (the limit per client). Stop one (DELETE /api/runs/:id) or wait for one to end.`, 2, 'client-runs'),
  previewBusy: (limit: number) =>
    new RunnerError('busy', 429, `This session already has ${limit} preview requests in flight (the limit per session). Wait for them to finish, then reload the preview.`, 1, 'preview'),
  hostNotAllowed: (host: string) =>
    new RunnerError('forbidden', 403, `This runner does not answer to the host name "${host}". Use its own address; an operator can add names with RUNNER_ALLOWED_HOSTS.`),
  crossSiteWrite: (origin: string) =>
    new RunnerError('forbidden', 403, `Requests that change state are accepted only from the workbook's own pages, not from ${origin}. Call the API from the site itself, or from a server without an Origin header.`),
  notJson: (contentType: string | undefined) =>
    new RunnerError('unsupported-media-type', 415, `The request body must be JSON, sent with Content-Type: application/json (got ${contentType ? JSON.stringify(contentType) : 'no Content-Type'}).`),
  previewMalformed: (port: number, detail: string) =>
    new RunnerError('preview-failed', 502, `The server on port ${port} in this session sent an answer that is not well-formed HTTP/1.1 (${detail}); the preview shows only well-formed answers. Fix the server cell's response.`),
  previewOnly: (path: string) => new RunnerError('not-found', 404, `This origin serves only previews (/api/sessions/:id/preview/:port/...), not ${path}. The API is on the site's own origin.`),
  noPreviewOrigin: () => new RunnerError('sandbox-unavailable', 503, 'This runner has no preview origin: start it with its own server (PREVIEW_PORT) or set RUNNER_PREVIEW_ORIGIN.'),
  draining: (runner: string) =>
    new RunnerError('draining', 503, `Runner "${runner}" is shutting down and takes no new sessions or runs; runs already going finish. Start a new session (POST /api/sessions), which goes to another runner.`, 1),
  sandboxUnavailable: (detail: string) => new RunnerError('sandbox-unavailable', 503, `The sandbox is unavailable: ${detail}`, 30),
  previewFailed: (port: number, detail: string) =>
    new RunnerError('preview-failed', 502, `Nothing answered HTTP on port ${port} in this session (${detail}). Start a server cell that listens on 127.0.0.1:${port} first.`),
  internal: (requestId: string) => new RunnerError('internal', 500, `The runner failed unexpectedly (request ${requestId}); it has been logged. Try again.`),
};
