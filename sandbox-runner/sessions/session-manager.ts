/**
 * Sessions and their runs: creation (from a pool prepared ahead), concurrency limits, idle and
 * lifetime expiry, stdin, stop, preview connections. Depends on the sandbox only through the
 * interfaces of sandbox/backend.ts (the real backend or the fake).
 */
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import type { RunnerConfig } from '../config.ts';
import { resolveRunLimits } from '../config.ts';
import { errors } from '../errors.ts';
import { variantFor } from '../languages.ts';
import type { ExitEvent, Language } from '../protocol.ts';
import type { PreparedRun, SandboxBackend, SessionEnvironment } from '../sandbox/backend.ts';
import { Run, type EventSink } from './run.ts';

export class Session {
  readonly env: SessionEnvironment;
  /** When a reader got it (a session prepared ahead does not age while it waits). */
  createdAt = Date.now();
  lastActivityAt = Date.now();
  readonly runs = new Set<Run>();
  /** Slots taken by runs being started (counted before any await). */
  startingRuns = 0;
  /** Runs prepared ahead, waiting for the next run requests (oldest first). */
  spareSandboxes: Array<Promise<PreparedRun>> = [];
  /** Ends with its first run (a run sent without a session). */
  ephemeral = false;
  ended = false;

  constructor(env: SessionEnvironment) {
    this.env = env;
  }

  get id(): string {
    return this.env.id;
  }

  get activeRuns(): number {
    return this.runs.size + this.startingRuns;
  }
}

export interface StartRunRequest {
  language: Language;
  code: string;
  session?: string;
  stdin?: string;
  timeoutMs?: number;
  args?: string[];
  files?: Record<string, string>;
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly runs = new Map<string, Run>();
  private readonly spareSessions: Array<Promise<Session>> = [];
  private startingTotal = 0;
  /** Sessions ended through the API whose removal is still under way. */
  private readonly teardowns = new Set<Promise<void>>();
  private pendingSessions = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly config: RunnerConfig;
  private readonly host: SandboxBackend;
  private readonly log: Logger;

  constructor(config: RunnerConfig, host: SandboxBackend, log: Logger) {
    this.config = config;
    this.host = host;
    this.log = log;
    const interval = Math.max(50, Math.min(1_000, config.limits.sessionIdleMs / 4));
    this.sweeper = setInterval(() => this.expireSessions(), interval).unref();
    this.refillSpareSessions();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get runCount(): number {
    return this.runs.size;
  }

  /** Creates a session (taken from the prepared pool when one is ready). */
  async createSession(): Promise<Session> {
    if (this.sessions.size + this.pendingSessions >= this.config.limits.maxSessions) throw errors.runnerBusy(`${this.config.limits.maxSessions} live sessions`, 'runner-sessions');
    this.pendingSessions++;
    try {
      const spare = this.spareSessions.shift();
      this.refillSpareSessions();
      const session = (await spare?.catch(() => undefined)) ?? (await this.prepareSession());
      this.sessions.set(session.id, session);
      session.createdAt = session.lastActivityAt = Date.now();
      return session;
    } finally {
      this.pendingSessions--;
    }
  }

  private async prepareSession(): Promise<Session> {
    let env: SessionEnvironment;
    try {
      env = await this.host.createSession();
    } catch (error) {
      this.log.error({ err: error }, 'creating a session failed');
      throw errors.sandboxUnavailable(`a new session could not be created (${(error as Error).message}).`);
    }
    const session = new Session(env);
    this.prepareSpareSandboxes(session);
    return session;
  }

  private refillSpareSessions(): void {
    if (this.closed) return;
    while (this.spareSessions.length < this.config.spareSessions) {
      const spare = this.prepareSession();
      spare.catch(() => {
        const index = this.spareSessions.indexOf(spare);
        if (index >= 0) this.spareSessions.splice(index, 1);
      });
      this.spareSessions.push(spare);
    }
  }

  /** Keeps the session's prepared sandboxes topped up (none when prewarming is off). */
  private prepareSpareSandboxes(session: Session): void {
    while (!session.ended && !this.closed && session.spareSandboxes.length < this.config.spareSandboxesPerSession) {
      const spare = session.env.prepareRun();
      spare.catch((error) => {
        this.log.warn({ err: error, session: session.id }, 'preparing a sandbox failed');
        session.spareSandboxes = session.spareSandboxes.filter((other) => other !== spare);
      });
      session.spareSandboxes.push(spare);
    }
  }

  private async disposeSpareSandboxes(session: Session): Promise<void> {
    const spares = session.spareSandboxes.splice(0);
    await Promise.allSettled(spares.map((spare) => spare.then((sandbox) => sandbox.dispose())));
  }

  getSession(id: string): Session {
    const session = this.sessions.get(id);
    if (!session || session.ended) throw errors.sessionNotFound(id);
    session.lastActivityAt = Date.now();
    return session;
  }

  getRun(id: string): Run {
    const run = this.runs.get(id);
    if (!run) throw errors.runNotFound(id);
    const session = this.sessions.get(run.sessionId);
    if (session) session.lastActivityAt = Date.now();
    return run;
  }

  /**
   * Starts a run. Throws a RunnerError (busy, not found, sandbox unavailable) before anything
   * starts; after that, every outcome arrives through the sink, ending with one exit event.
   */
  async startRun(request: StartRunRequest, sink: EventSink): Promise<Run> {
    const limits = resolveRunLimits(this.config.limits, request);
    if ('error' in limits) throw errors.badRequest(limits.error);
    // Count slots before any await, or a burst slips past the limits.
    const existing = request.session !== undefined ? this.getSession(request.session) : undefined;
    if (existing && existing.activeRuns >= this.config.limits.maxRunsPerSession) throw errors.sessionBusy(this.config.limits.maxRunsPerSession);
    if (this.runs.size + this.startingTotal >= this.config.limits.maxRunsTotal) throw errors.runnerBusy(`${this.config.limits.maxRunsTotal} runs at once`, 'runner-runs');
    this.startingTotal++;
    if (existing) existing.startingRuns++;
    let session = existing;
    try {
      if (!session) {
        session = await this.createSession();
        session.ephemeral = true;
      }
      const prepared = await this.takeSandbox(session);
      const program = { variant: variantFor(request.language, request.code), code: request.code, args: request.args, files: request.files };
      const run = new Run({ sessionId: session.id, prepared, limits, sink, program, stdin: request.stdin, stopGraceMs: this.config.limits.stopGraceMs });
      this.runs.set(run.id, run);
      session.runs.add(run);
      sink({ type: 'start', run: run.id, session: session.id });
      void this.afterRun(session, run, request.language);
      return run;
    } catch (error) {
      if (session?.ephemeral) void this.finishSession(session);
      throw error;
    } finally {
      this.startingTotal--;
      if (existing) existing.startingRuns--;
    }
  }

  private async takeSandbox(session: Session): Promise<PreparedRun> {
    const spare = session.spareSandboxes.shift();
    try {
      const ready = await spare?.catch(() => null);
      if (ready && !ready.isStale()) return ready;
      void ready?.dispose();
      const sandbox = await session.env.prepareRun();
      return sandbox;
    } catch (error) {
      this.log.error({ err: error, session: session.id }, 'starting a sandbox failed');
      throw errors.sandboxUnavailable(`the sandbox could not start (${(error as Error).message}).`);
    }
  }

  private async afterRun(session: Session, run: Run, language: Language): Promise<void> {
    // Replace the sandbox this run took once the run has had a moment to start (two cores
    // here: a sandbox set up at the same instant would slow this run's interpreter start-up).
    const refill = setTimeout(() => this.prepareSpareSandboxes(session), 30);
    let exit: ExitEvent | undefined;
    try {
      exit = await run.finished;
    } finally {
      // The slot frees with the exit event: a reader who runs again at once must not meet
      // "busy" while the kernel is still tearing the last sandbox down.
      clearTimeout(refill);
      this.runs.delete(run.id);
      session.runs.delete(run);
      session.lastActivityAt = Date.now();
      this.log.info({ run: run.id, session: session.id, language, reason: exit?.reason, code: exit?.code, signal: exit?.signal, durationMs: exit?.durationMs }, 'run ended');
    }
    await run.cleanedUp.catch((error) => this.log.warn({ err: error, run: run.id }, 'cleaning up a run failed'));
    if (session.ephemeral) await this.finishSession(session);
    else this.prepareSpareSandboxes(session);
  }

  /**
   * Ends a session: it is gone at once (and every run in it is told to end with reason
   * session-ended); its processes, cgroups and mounts are removed in the background, so a
   * reader's DELETE does not wait for the kernel's teardown. `close()` waits for it.
   */
  async endSession(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session || session.ended) throw errors.sessionNotFound(id);
    const teardown = this.finishSession(session).catch((error) => this.log.warn({ err: error, session: id }, 'removing a session failed'));
    this.teardowns.add(teardown);
    void teardown.finally(() => this.teardowns.delete(teardown));
  }

  private async finishSession(session: Session): Promise<void> {
    if (session.ended) return;
    session.ended = true;
    const id = session.id;
    this.sessions.delete(id);
    for (const run of session.runs) run.stop('session-ended');
    await Promise.allSettled([...session.runs].map((run) => run.cleanedUp));
    await this.disposeSpareSandboxes(session);
    await session.env.dispose();
  }

  private expireSessions(): void {
    const now = Date.now();
    const { sessionIdleMs, sessionLifetimeMs } = this.config.limits;
    for (const session of this.sessions.values()) {
      const idle = session.runs.size === 0 && now - session.lastActivityAt > sessionIdleMs;
      if (idle || now - session.createdAt > sessionLifetimeMs) {
        this.log.info({ session: session.id, why: idle ? 'idle' : 'lifetime' }, 'session expired');
        void this.finishSession(session);
      }
    }
  }

  /** A byte stream to 127.0.0.1:port inside the session's network, for the preview. */
  openPreviewConnection(sessionId: string, port: number): Duplex {
    return this.getSession(sessionId).env.openPreviewConnection(port);
  }

  /**
   * Resolves true once no run is going (or being started), or false when `timeoutMs` passed
   * first (a draining runner's grace period).
   */
  async whenNoRuns(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.runs.size + this.startingTotal > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - Date.now())));
    }
    return true;
  }

  /** Memory and CPU of every session together, from the sandbox's cgroups (null without). */
  async usage() {
    return (await this.host.usage?.()) ?? null;
  }

  /** What the sandbox is: its name and cgroup version (for health and the start-up line). */
  get sandboxDescription() {
    return this.host.description;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const spares = this.spareSessions.splice(0);
    await Promise.allSettled([...this.sessions.values()].map((session) => this.finishSession(session)));
    await Promise.allSettled([...this.teardowns]);
    await Promise.allSettled(spares.map(async (spare) => {
      const session = await spare;
      session.ended = true;
      await this.disposeSpareSandboxes(session);
      await session.env.dispose();
    }));
    await this.host.close();
  }
}
