/**
 * One run: a cell's program in a prepared sandbox of its session. Streams stdout/stderr as
 * events, enforces wall time and output limits, takes stdin, and ends with exactly one exit
 * event whose reason says why. Clean-up (killing everything it started, removing its cgroup and
 * files) always happens, in `finally`.
 */
import { StringDecoder } from 'node:string_decoder';
import { randomBytes } from 'node:crypto';
import { constants as os } from 'node:os';
import type { ExitEvent, ExitReason, RunEvent } from '../protocol.ts';
import type { LanguageVariant } from '../languages.ts';
import type { PreparedSandbox } from '../sandbox/sandbox-host.ts';
import { EndMarkerScanner } from '../sandbox/launcher.ts';
import type { RunLimits } from '../config.ts';

/** Receives a run's events; returns false when the consumer wants the run to pause output. */
export type EventSink = (event: RunEvent) => boolean;

const SIGNAL_NAMES = Object.fromEntries(Object.entries(os.signals).map(([name, number]) => [number, name]));

export class Run {
  readonly id: string;
  readonly sessionId: string;
  readonly startedAt = performance.now();
  private readonly sandbox: PreparedSandbox;
  private readonly limits: RunLimits;
  private readonly sink: EventSink;
  private stopReason: ExitReason | null = null;
  private outputBytes = 0;
  private stdinOpen = true;
  private readonly abort = new AbortController();
  /** Resolves with the exit event as soon as the program has ended. */
  readonly finished: Promise<ExitEvent>;
  /** Resolves once everything the run started is gone (after `finished`). */
  readonly cleanedUp: Promise<void>;

  constructor(options: { sessionId: string; sandbox: PreparedSandbox; limits: RunLimits; sink: EventSink; variant: LanguageVariant; code: string; stdin?: string }) {
    this.id = options.sandbox.id;
    this.sessionId = options.sessionId;
    this.sandbox = options.sandbox;
    this.limits = options.limits;
    this.sink = options.sink;
    this.finished = this.execute(options.variant, options.code, options.stdin);
    // Clean-up happens after the exit event is out: the reader should not wait for it.
    this.cleanedUp = this.finished.then(
      () => this.sandbox.dispose(),
      () => this.sandbox.dispose(),
    );
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Writes reader input to the program; false when stdin is already closed. */
  writeStdin(data: string): boolean {
    if (!this.stdinOpen) return false;
    this.sandbox.stdin.write(data);
    return true;
  }

  closeStdin(): void {
    if (!this.stdinOpen) return;
    this.stdinOpen = false;
    this.sandbox.stdin.end();
  }

  /** Ends the run now; the exit event carries this reason (the first reason wins). */
  stop(reason: ExitReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.abort.abort(reason);
    void this.sandbox.cgroup.killAll();
  }

  /** Output paused by a slow consumer continues. */
  resumeOutput(): void {
    this.sandbox.stdout.resume();
    this.sandbox.stderr.resume();
  }

  private forward(type: 'stdout' | 'stderr', decoder: StringDecoder, chunk: Buffer): void {
    if (this.stopReason) return;
    const room = this.limits.maxOutputBytes - this.outputBytes;
    const allowed = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.outputBytes += allowed.length;
    const text = decoder.write(allowed);
    if (text && !this.sink({ type, data: text })) {
      this.sandbox.stdout.pause();
      this.sandbox.stderr.pause();
    }
    if (chunk.length > room) this.stop('output-limit');
  }

  private async execute(variant: LanguageVariant, code: string, stdin: string | undefined): Promise<ExitEvent> {
    const { sandbox } = this;
    const nonce = randomBytes(12).toString('hex');
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const scanners = { stdout: new EndMarkerScanner(nonce), stderr: new EndMarkerScanner(nonce) };
    // The launcher's end markers on both streams: the program has ended and all its output is in.
    let programEnded!: (status: number) => void;
    const markersSeen = new Promise<number>((resolve) => (programEnded = resolve));
    const streamsDone = Promise.all(
      (['stdout', 'stderr'] as const).map(
        (type) =>
          new Promise<void>((resolve) => {
            sandbox[type].on('data', (chunk: Buffer) => {
              const output = scanners[type].push(chunk);
              if (output.length) this.forward(type, decoders[type], output);
              if (scanners.stdout.ended !== null && scanners.stderr.ended !== null) programEnded(Number(scanners.stdout.ended));
            });
            sandbox[type].once('close', resolve);
            sandbox[type].once('error', () => resolve());
          }),
      ),
    );
    const timer = setTimeout(() => this.stop('timeout'), this.limits.wallTimeMs);
    try {
      await sandbox.launch(variant, code, nonce);
      if (stdin !== undefined) {
        this.writeStdin(stdin);
        this.closeStdin();
      }
      const ended = await Promise.race([markersSeen.then((status) => ({ status })), sandbox.exited.then((exit) => ({ exit }))]);
      if ('status' in ended && !this.stopReason) {
        for (const type of ['stdout', 'stderr'] as const) {
          const rest = decoders[type].end();
          if (rest) this.sink({ type, data: rest });
        }
        return this.exitEvent(ended.status, null, await sandbox.oomKilled());
      }
      // The run ended without end markers: stopped, or its shell was killed.
      const { code: exitCode, signal } = await sandbox.exited;
      await Promise.race([streamsDone, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      for (const type of ['stdout', 'stderr'] as const) {
        const rest = decoders[type].write(scanners[type].flush()) + decoders[type].end();
        if (rest && !this.stopReason) this.sink({ type, data: rest });
      }
      return this.exitEvent(exitCode, signal, await sandbox.oomKilled());
    } catch (error) {
      this.sink({ type: 'stderr', data: `sandbox error: ${(error as Error).message}\n` });
      return { type: 'exit', code: null, signal: null, reason: 'error', durationMs: this.elapsedMs() };
    } finally {
      clearTimeout(timer);
      this.stdinOpen = false;
    }
  }

  private exitEvent(exitCode: number | null, signal: NodeJS.Signals | null, oomKilled: boolean): ExitEvent {
    const durationMs = this.elapsedMs();
    const reason: ExitReason = this.stopReason ?? (oomKilled ? 'memory-limit' : 'exit');
    // The run's shell reports a program killed by signal N as status 128 + N.
    if (signal === null && exitCode !== null && exitCode > 128 && exitCode <= 128 + 64 && SIGNAL_NAMES[exitCode - 128]) {
      signal = SIGNAL_NAMES[exitCode - 128] as NodeJS.Signals;
      exitCode = null;
    }
    if (this.stopReason || oomKilled) {
      // We (or the kernel's OOM killer) ended it with SIGKILL.
      return { type: 'exit', code: null, signal: signal ?? 'SIGKILL', reason, durationMs };
    }
    return { type: 'exit', code: signal ? null : exitCode, signal, reason, durationMs };
  }

  private elapsedMs(): number {
    return Math.round((performance.now() - this.startedAt) * 10) / 10;
  }
}
