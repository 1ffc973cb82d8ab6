/**
 * Browser client of the runner's HTTP API (v1, see DESIGN.md): one session per page, runs read
 * as an NDJSON stream, interactive stdin, stop. Every run is cancellable through an AbortSignal.
 * It uses the session-scoped paths (`/api/sessions/:id/runs...`), which a router sends to the
 * runner that holds the session without reading bodies.
 */
import type { ErrorBody, ExitEvent, HealthBody, Language, RunEvent, SocketsBody, StdinRequest, WirePacket } from '../../sandbox-runner/protocol.ts';
import { ndjsonValues, runEvents } from '../../sandbox-runner/ndjson.ts';

/** An error before a run started, sorted by whose fault it is (see the API's status codes). */
export class RunnerError extends Error {
  constructor(
    message: string,
    /** HTTP status, or 0 when the runner could not be reached. */
    readonly status: number,
    /** The API's error code (`busy`, `session-not-found`, ...), when it sent one. */
    readonly code: string = 'unreachable',
  ) {
    super(message);
    this.name = 'RunnerError';
  }
}

export interface RunOptions {
  language: Language;
  code: string;
  /** Given up front and then closed; absent keeps stdin open for `sendStdin`. */
  stdin?: string;
  timeoutMs?: number;
  /** Command-line arguments (see the API's `args`). */
  args?: string[];
  /** Files written to the session's working directory first (see the API's `files`). */
  files?: Record<string, string>;
  signal?: AbortSignal;
  onEvent: (event: RunEvent) => void;
}

const API = '/api';
/** 503 codes that mean the session's runner will not run it again: `draining` (the runner's), `runner-unavailable` (the router's). */
const SESSION_LOST = new Set(['draining', 'runner-unavailable']);

async function errorOf(response: Response): Promise<RunnerError> {
  let code = `http-${response.status}`;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as ErrorBody;
    if (body?.error) ({ code, message } = body.error);
  } catch {
    // Not JSON: keep the status line.
  }
  return new RunnerError(message, response.status, code);
}

/**
 * What the page knows about its runner: `checking` until the first answer; `unreachable` when
 * nothing answers /api/health (a static host, the runner down, the network gone);
 * `sandbox-unavailable` when the runner answers but cannot make sandboxes (503).
 */
export type RunnerState = 'checking' | 'ready' | 'unreachable' | 'sandbox-unavailable';

/** While ready, how often the page checks that the runner is still there. */
const READY_POLL_MS = 20_000;
/** While not ready, the first retry and the longest wait between retries (doubling between). */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 30_000;
const HEALTH_TIMEOUT_MS = 5_000;

/** The page's runner: its state (watched for the page's lifetime), its one session, runs. */
export class RunnerClient extends EventTarget {
  private sessionPromise: Promise<string> | null = null;
  private current: RunnerState = 'checking';
  private firstAnswer: Promise<RunnerState> | null = null;
  private timer: number | undefined;
  private failures = 0;
  /** The session of each run going, for its run-scoped paths. */
  private readonly runSessions = new Map<string, string>();

  get state(): RunnerState {
    return this.current;
  }

  /**
   * Starts watching /api/health (once per page) and resolves with the first answer. Later
   * changes are `state` events: a runner that comes back is noticed without a reload.
   */
  watch(): Promise<RunnerState> {
    if (!this.firstAnswer) {
      this.firstAnswer = this.check();
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') void this.check();
      });
    }
    return this.firstAnswer;
  }

  /** Asks now (after a failed request, say) instead of waiting for the next poll. */
  recheck(): void {
    if (this.firstAnswer) void this.check();
  }

  private async check(): Promise<RunnerState> {
    window.clearTimeout(this.timer);
    const state = await askHealth();
    this.failures = state === 'ready' ? 0 : this.failures + 1;
    if (state !== this.current) {
      if (state !== 'ready') this.sessionPromise = null;
      this.current = state;
      this.dispatchEvent(new Event('state'));
    }
    const wait = state === 'ready' ? READY_POLL_MS : Math.min(RETRY_FIRST_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
    this.timer = window.setTimeout(() => void this.check(), wait);
    return state;
  }

  /** The page's session id, created on first use. */
  session(): Promise<string> {
    this.sessionPromise ??= fetch(`${API}/sessions`, { method: 'POST' }).then(async (response) => {
      if (!response.ok) throw await errorOf(response);
      return ((await response.json()) as { id: string }).id;
    });
    // A failed creation must not stick: the next run tries again.
    this.sessionPromise.catch(() => (this.sessionPromise = null));
    return this.sessionPromise;
  }

  /** The current session id if one exists, without creating one. */
  async currentSession(): Promise<string | null> {
    try {
      return this.sessionPromise ? await this.sessionPromise : null;
    } catch {
      return null;
    }
  }

  /** Ends the session (every run in it ends) and forgets it; the next run gets a fresh one. */
  async resetSession(): Promise<void> {
    const id = await this.currentSession();
    this.sessionPromise = null;
    if (id) await fetch(`${API}/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch(() => undefined);
    this.dispatchEvent(new Event('session-reset'));
  }

  /**
   * Runs a program and feeds its events to `onEvent` as they arrive. Resolves with the exit
   * event; rejects with RunnerError when the run could not start. Aborting the signal closes
   * the stream, which stops the run.
   */
  async run(options: RunOptions): Promise<ExitEvent> {
    let response = await this.post(options);
    if (response.status === 404 || (response.status === 503 && SESSION_LOST.has((await errorOf(response.clone())).code))) {
      // The session ended (idle, lifetime, reset elsewhere), or its runner is leaving or gone
      // (the router's answer): start a new one (on another runner, behind a router), once.
      this.sessionPromise = null;
      response = await this.post(options);
    }
    if (!response.ok || !response.body) throw await errorOf(response);
    let runId: string | undefined;
    const onEvent = (event: RunEvent) => {
      if (event.type === 'start') this.runSessions.set((runId = event.run), event.session);
      options.onEvent(event);
    };
    return readEvents(response.body, onEvent, options.signal)
      .catch((error: unknown) => {
        // The stream broke mid-run: the runner may be gone; ask now rather than at the next poll.
        this.recheck();
        throw error;
      })
      .finally(() => {
        if (runId) this.runSessions.delete(runId);
      });
  }

  private async post(options: RunOptions): Promise<Response> {
    try {
      const session = await this.session();
      const body = { language: options.language, code: options.code, stdin: options.stdin, timeoutMs: options.timeoutMs, args: options.args, files: options.files };
      return await fetch(`${API}/sessions/${encodeURIComponent(session)}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
        body: JSON.stringify(body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted || error instanceof RunnerError) throw error;
      this.recheck();
      throw new RunnerError((error as Error).message, 0);
    }
  }

  /** A run's own path: under its session's when the run is one of this client's. */
  private runPath(runId: string): string {
    const session = this.runSessions.get(runId);
    return `${API}${session ? `/sessions/${encodeURIComponent(session)}` : ''}/runs/${encodeURIComponent(runId)}`;
  }

  /** Sends a line (or EOF) to a running program. */
  async sendStdin(runId: string, body: StdinRequest): Promise<void> {
    const response = await fetch(`${this.runPath(runId)}/stdin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok && response.status !== 404) throw await errorOf(response);
  }

  /** Stops a run; its stream then ends with reason `stopped`. */
  async stop(runId: string): Promise<void> {
    await fetch(this.runPath(runId), { method: 'DELETE' }).catch(() => undefined);
  }

  /**
   * Whether the reader's server answers the preview: any answer of theirs counts (a 404 too);
   * the runner's own JSON error (nothing listening, session gone) or no answer does not.
   */
  async previewAnswers(url: string): Promise<boolean> {
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (response.ok) return true;
      const body = (await response.json().catch(() => null)) as ErrorBody | null;
      return !body?.error?.code;
    } catch {
      return false;
    }
  }

  /**
   * Follows the session's wire: every packet after `since`, then each as it happens, until the
   * session ends (resolves) or the signal aborts. Rejects with RunnerError when refused.
   */
  async followWire(session: string, since: number, onPacket: (packet: WirePacket) => void, signal: AbortSignal): Promise<void> {
    const response = await fetch(`${API}/sessions/${encodeURIComponent(session)}/wire?follow=1&since=${since}`, { signal, headers: { accept: 'application/x-ndjson' } });
    if (!response.ok || !response.body) throw await errorOf(response);
    try {
      for await (const packet of ndjsonValues<WirePacket>(response.body)) onPacket(packet);
    } catch (error) {
      if (!signal.aborted) throw new RunnerError((error as Error).message, 0);
    }
  }

  /** The session's sockets now. */
  async sockets(session: string, signal?: AbortSignal): Promise<SocketsBody['sockets']> {
    const response = await fetch(`${API}/sessions/${encodeURIComponent(session)}/sockets`, { signal, cache: 'no-store' });
    if (!response.ok) throw await errorOf(response);
    return ((await response.json()) as SocketsBody).sockets;
  }

  /** URL of the preview of `port` in the page's session. */
  previewUrl(session: string, port: number): string {
    return `${API}/sessions/${encodeURIComponent(session)}/preview/${port}/`;
  }
}

/** Reads an NDJSON event stream; a stream that ends without an exit event ends as `error`. */
export async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: RunEvent) => void, signal?: AbortSignal): Promise<ExitEvent> {
  const started = performance.now();
  let exit: ExitEvent | undefined;
  try {
    for await (const event of runEvents(body)) {
      if (event.type === 'exit') exit = event;
      onEvent(event);
    }
  } catch (error) {
    if (!signal?.aborted) throw new RunnerError((error as Error).message, 0);
  }
  if (!exit) {
    exit = {
      type: 'exit',
      code: null,
      signal: null,
      reason: signal?.aborted ? 'stopped' : 'error',
      durationMs: Math.round(performance.now() - started),
    };
    onEvent(exit);
  }
  return exit;
}

async function askHealth(): Promise<RunnerState> {
  try {
    const response = await fetch(`${API}/health`, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => null)) as HealthBody | null;
    if (response.ok && body?.ok) return 'ready';
    // The runner itself answered (its JSON shape), but without sandboxes.
    if (response.status === 503 && body && typeof body.sandbox === 'string') return 'sandbox-unavailable';
    return 'unreachable';
  } catch {
    return 'unreachable';
  }
}

/** The one client of this page. */
export const runner = new RunnerClient();
