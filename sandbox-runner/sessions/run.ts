/**
 * One run: a cell's program in a prepared run of its session. Streams stdout/stderr as events,
 * enforces its time (a wall clock, or for an interactive program an idle clock that input and
 * output reset) and output limits, takes stdin, and ends with exactly one exit event whose
 * reason says why. A stop is Ctrl-C first (SIGINT, then SIGKILL after a grace); every other end
 * kills at once. Clean-up always happens, after the exit event.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ExitEvent, ExitReason, RunEvent } from '../protocol.ts';
import type { PreparedRun, RunExit, RunHandle, RunProgram } from '../sandbox/backend.ts';
import type { RunLimits } from '../config.ts';
import { errors } from '../errors.ts';

/** Receives a run's events; returns false when the consumer wants the run to pause output. */
export type EventSink = (event: RunEvent) => boolean;

export interface RunOptions {
  sessionId: string;
  prepared: PreparedRun;
  limits: RunLimits;
  sink: EventSink;
  program: RunProgram;
  /** Given up front: written, then closed. Absent: the run is interactive. */
  stdin?: string;
  /** How long a stopped program has after SIGINT before SIGKILL. */
  stopGraceMs: number;
}

export class Run {
  readonly id: string;
  readonly sessionId: string;
  readonly startedAt = performance.now();
  private readonly limits: RunLimits;
  private readonly sink: EventSink;
  private readonly stopGraceMs: number;
  private readonly interactive: boolean;
  private handle: RunHandle | null = null;
  private stopReason: ExitReason | null = null;
  private outputBytes = 0;
  private stdinOpen = true;
  private clock: NodeJS.Timeout | undefined;
  private hardStop: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly launched: Promise<RunHandle>;
  /** Resolves with the exit event as soon as the program has ended. */
  readonly finished: Promise<ExitEvent>;
  /** Resolves once everything the run started is gone (after `finished`). */
  readonly cleanedUp: Promise<void>;

  constructor(options: RunOptions) {
    this.id = options.prepared.id;
    this.sessionId = options.sessionId;
    this.limits = options.limits;
    this.sink = options.sink;
    this.stopGraceMs = options.stopGraceMs;
    this.interactive = options.stdin === undefined;
    this.launched = options.prepared.launch(options.program);
    this.finished = this.execute(options.stdin);
    this.cleanedUp = this.finished.then(
      () => options.prepared.dispose(),
      () => options.prepared.dispose(),
    );
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Writes reader input to the program; false when stdin is already closed. */
  async writeStdin(data: string): Promise<boolean> {
    if (!this.stdinOpen) return false;
    const handle = await this.launched;
    this.touch();
    try {
      await handle.writeStdin(data);
    } catch (error) {
      if ((error as Error).name === 'StdinBackpressureError') throw errors.stdinBackpressure((error as Error).message);
      return false;
    }
    return true;
  }

  closeStdin(): void {
    if (!this.stdinOpen) return;
    this.stdinOpen = false;
    void this.launched.then((handle) => handle.closeStdin(), () => {});
  }

  /**
   * Ends the run; the exit event carries this reason (the first reason wins). `stopped` is
   * Ctrl-C: SIGINT, then SIGKILL if the program is still there after the grace; any other reason
   * (timeout, limits, the reader gone, the session ending) kills at once.
   */
  stop(reason: ExitReason, options: { graceful?: boolean } = {}): void {
    if (this.stopReason) {
      // A second request while the grace runs: no more waiting.
      if (!options.graceful) void this.launched.then((handle) => handle.kill(), () => {});
      return;
    }
    this.stopReason = reason;
    this.abort.abort(reason);
    void this.launched.then(
      (handle) => {
        if (options.graceful) {
          void handle.interrupt();
          this.graceTimer = setTimeout(() => void handle.kill(), this.stopGraceMs);
        } else {
          void handle.kill();
        }
      },
      () => {},
    );
  }

  /** Output paused by a slow consumer continues. */
  resumeOutput(): void {
    this.handle?.resumeOutput();
  }

  /** Input or output: an interactive run's idle clock starts again. */
  private touch(): void {
    if (!this.interactive || this.stopReason) return;
    clearTimeout(this.clock);
    this.clock = setTimeout(() => this.stop('timeout'), this.limits.wallTimeMs);
  }

  private forward(type: 'stdout' | 'stderr', decoder: StringDecoder, chunk: Buffer): void {
    if (this.stopReason && this.stopReason !== 'stopped') return;
    const room = this.limits.maxOutputBytes - this.outputBytes;
    const allowed = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.outputBytes += allowed.length;
    const text = decoder.write(allowed);
    this.touch();
    if (text && !this.sink({ type, data: text })) this.handle?.pauseOutput();
    if (chunk.length > room) this.stop('output-limit');
  }

  private async execute(stdin: string | undefined): Promise<ExitEvent> {
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    // A program given its input up front has a wall clock; an interactive one an idle clock,
    // within the longest time the runner allows.
    if (this.interactive) {
      this.touch();
      this.hardStop = setTimeout(() => this.stop('timeout'), Math.max(this.limits.wallTimeMs, this.limits.maxWallTimeMs));
    } else {
      this.clock = setTimeout(() => this.stop('timeout'), this.limits.wallTimeMs);
    }
    try {
      const handle = (this.handle = await this.launched);
      handle.onOutput((stream, data) => this.forward(stream, decoders[stream], data));
      if (this.stopReason) void handle.kill();
      if (stdin !== undefined) {
        void handle.writeStdin(stdin).catch(() => {});
        this.closeStdin();
      }
      const exit = await handle.exited;
      for (const type of ['stdout', 'stderr'] as const) {
        const rest = decoders[type].end();
        if (rest && !this.stopReason) this.sink({ type, data: rest });
      }
      return this.exitEvent(exit);
    } catch (error) {
      this.sink({ type: 'stderr', data: `sandbox error: ${(error as Error).message}\n` });
      return { type: 'exit', code: null, signal: null, reason: 'error', durationMs: this.elapsedMs() };
    } finally {
      clearTimeout(this.clock);
      clearTimeout(this.hardStop);
      clearTimeout(this.graceTimer);
      this.stdinOpen = false;
    }
  }

  private exitEvent(exit: RunExit): ExitEvent {
    const reason: ExitReason = this.stopReason ?? (exit.oomKilled ? 'memory-limit' : 'exit');
    if (exit.oomKilled && !this.stopReason) return { type: 'exit', code: null, signal: exit.signal ?? 'SIGKILL', reason, durationMs: this.elapsedMs() };
    return { type: 'exit', code: exit.signal ? null : exit.code, signal: exit.signal, reason, durationMs: this.elapsedMs() };
  }

  private elapsedMs(): number {
    return Math.round((performance.now() - this.startedAt) * 10) / 10;
  }
}
