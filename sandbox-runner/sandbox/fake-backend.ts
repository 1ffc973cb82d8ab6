/**
 * An in-process sandbox backend for fast lifecycle tests of sessions and runs (timeouts, output
 * limit, stop, stalled readers, expiry, spare sessions, 429s) without root. It starts no
 * process: a run's "program" is a script chosen by its code from the `programs` table, driving
 * the same RunHandle contract the real backend honours (output with backpressure, stdin, SIGINT
 * with the program's own handler, kill that ends the run whatever its output's state). Never a
 * stand-in for the real sandbox: the integration and exploit suites run against bubblewrap.
 */
import { Duplex, PassThrough } from 'node:stream';
import { CapturedSessionWire } from '../wire/session-wire.ts';
import type { BackendDescription, OutputStream, PreparedRun, RunExit, RunHandle, RunProgram, SandboxBackend, SessionEnvironment } from './backend.ts';

/** What a fake program can do. */
export interface FakeProgramIO {
  /** Writes output; resolves when the consumer takes it (stays pending while output is paused). */
  write(stream: OutputStream, text: string): Promise<void>;
  /** The next chunk of stdin, or null at end of input. */
  read(): Promise<string | null>;
  /** Resolves after `ms`, or never once the run is killed. */
  sleep(ms: number): Promise<void>;
  /** Installs a SIGINT handler; without one, SIGINT ends the program (signal SIGINT). */
  onInterrupt(handler: () => void): void;
  readonly args: readonly string[];
}

/** A fake program: resolves with its exit status (0 when undefined). */
export type FakeProgram = (io: FakeProgramIO) => Promise<number | void>;

/** Built-in programs, by code. `print:<text>` prints text and exits 0. */
export const FAKE_PROGRAMS: Record<string, FakeProgram> = {
  'flood': async (io) => {
    for (;;) await io.write('stdout', 'x'.repeat(1024) + '\n');
  },
  'sleep-forever': async (io) => {
    await io.write('stdout', 'up\n');
    await io.sleep(Number.MAX_SAFE_INTEGER);
  },
  'ignore-sigint': async (io) => {
    io.onInterrupt(() => {});
    await io.write('stdout', 'up\n');
    await io.sleep(Number.MAX_SAFE_INTEGER);
  },
  'graceful-server': async (io) => {
    let interrupted!: () => void;
    const stop = new Promise<void>((resolve) => (interrupted = resolve));
    io.onInterrupt(() => interrupted());
    await io.write('stdout', 'listening\n');
    await stop;
    await io.write('stdout', 'bye\n');
  },
  'echo-lines': async (io) => {
    for (;;) {
      const chunk = await io.read();
      if (chunk === null) return 0;
      await io.write('stdout', `got ${chunk}`);
    }
  },
};

class FakeRunHandle implements RunHandle {
  readonly exited: Promise<RunExit>;
  private listener: ((stream: OutputStream, data: Buffer) => void) | null = null;
  private paused = false;
  private waitingWrites: Array<() => void> = [];
  private readonly stdin: string[] = [];
  private stdinClosed = false;
  private stdinWaiter: (() => void) | null = null;
  private interruptHandler: (() => void) | null = null;
  private settle!: (exit: RunExit) => void;
  private settled = false;
  private readonly sleeps = new Set<NodeJS.Timeout>();

  constructor(program: FakeProgram, args: readonly string[]) {
    this.exited = new Promise((resolve) => (this.settle = resolve));
    const io: FakeProgramIO = {
      write: (stream, text) => this.write(stream, text),
      read: () => this.read(),
      sleep: (ms) => new Promise((resolve) => {
        if (this.settled) return;
        const timer = setTimeout(() => (this.sleeps.delete(timer), resolve()), Math.min(ms, 2 ** 31 - 1));
        this.sleeps.add(timer);
      }),
      onInterrupt: (handler) => (this.interruptHandler = handler),
      args,
    };
    // The program starts once someone listens, as the real one's output waits in its FIFO.
    queueMicrotask(() => {
      program(io).then(
        (status) => this.end({ code: status ?? 0, signal: null, oomKilled: false }),
        () => this.end({ code: 1, signal: null, oomKilled: false }),
      );
    });
  }

  private async write(stream: OutputStream, text: string): Promise<void> {
    while ((this.paused || !this.listener) && !this.settled) await new Promise<void>((resolve) => this.waitingWrites.push(resolve));
    if (this.settled) return new Promise(() => {}); // a killed program never runs on
    this.listener!(stream, Buffer.from(text));
    await new Promise((resolve) => setImmediate(resolve));
  }

  private async read(): Promise<string | null> {
    while (this.stdin.length === 0 && !this.stdinClosed) await new Promise<void>((resolve) => (this.stdinWaiter = resolve));
    return this.stdin.shift() ?? null;
  }

  private wake(): void {
    const writes = this.waitingWrites.splice(0);
    for (const resolve of writes) resolve();
  }

  onOutput(listener: (stream: OutputStream, data: Buffer) => void): void {
    this.listener = listener;
    this.wake();
  }

  pauseOutput(): void {
    this.paused = true;
  }

  resumeOutput(): void {
    this.paused = false;
    this.wake();
  }

  async writeStdin(data: string): Promise<void> {
    if (this.settled || this.stdinClosed) throw new Error('the run has ended');
    this.stdin.push(data);
    this.stdinWaiter?.();
  }

  closeStdin(): void {
    this.stdinClosed = true;
    this.stdinWaiter?.();
  }

  async interrupt(): Promise<void> {
    if (this.settled) return;
    if (this.interruptHandler) this.interruptHandler();
    else this.end({ code: null, signal: 'SIGINT', oomKilled: false });
  }

  async kill(): Promise<void> {
    this.end({ code: null, signal: 'SIGKILL', oomKilled: false });
  }

  private end(exit: RunExit): void {
    if (this.settled) return;
    this.settled = true;
    for (const timer of this.sleeps) clearTimeout(timer);
    this.wake();
    this.settle(exit);
  }

  async dispose(): Promise<void> {
    await this.kill();
  }
}

let nextId = 1;

class FakePreparedRun implements PreparedRun {
  readonly id = `rfake${nextId++}`;
  private readonly programs: Record<string, FakeProgram>;
  private readonly session: FakeSession;
  private handle: FakeRunHandle | null = null;

  constructor(session: FakeSession, programs: Record<string, FakeProgram>) {
    this.session = session;
    this.programs = programs;
    session.liveRuns.add(this);
  }

  isStale(): boolean {
    return this.session.ended;
  }

  async launch(program: RunProgram): Promise<RunHandle> {
    const printed = /^print:([\s\S]*)$/.exec(program.code);
    const script: FakeProgram | undefined = printed ? async (io) => void (await io.write('stdout', printed[1])) : this.programs[program.code];
    if (!script) throw new Error(`the fake sandbox has no program ${JSON.stringify(program.code)}`);
    this.handle = new FakeRunHandle(script, program.args ?? []);
    return this.handle;
  }

  async dispose(): Promise<void> {
    await this.handle?.dispose();
    this.session.liveRuns.delete(this);
  }
}

class FakeSession implements SessionEnvironment {
  readonly id = `sfake${nextId++}`;
  readonly liveRuns = new Set<FakePreparedRun>();
  ended = false;
  /** No capture runs here: tests feed it recorded frames (`wire.ingest`), it knows no sockets. */
  readonly wire = new CapturedSessionWire({ netnsPid: async () => null });
  private readonly backend: FakeBackend;

  constructor(backend: FakeBackend) {
    this.backend = backend;
    backend.liveSessions.add(this);
  }

  async prepareRun(): Promise<PreparedRun> {
    if (this.ended) throw new Error('the session has ended');
    return new FakePreparedRun(this, this.backend.programs);
  }

  openPreviewConnection(): Duplex {
    return new PassThrough();
  }

  async dispose(): Promise<void> {
    this.ended = true;
    this.wire.end();
    await Promise.all([...this.liveRuns].map((run) => run.dispose()));
    this.backend.liveSessions.delete(this);
  }
}

export class FakeBackend implements SandboxBackend {
  readonly description: BackendDescription = { name: 'fake', cgroup: null };
  readonly programs: Record<string, FakeProgram>;
  /** Sessions not yet disposed and their runs not yet cleaned up: tests assert both empty. */
  readonly liveSessions = new Set<FakeSession>();
  sessionsCreated = 0;

  constructor(programs: Record<string, FakeProgram> = {}) {
    this.programs = { ...FAKE_PROGRAMS, ...programs };
  }

  async createSession(): Promise<SessionEnvironment> {
    this.sessionsCreated++;
    return new FakeSession(this);
  }

  get liveRunCount(): number {
    let count = 0;
    for (const session of this.liveSessions) count += session.liveRuns.size;
    return count;
  }

  async close(): Promise<void> {
    await Promise.all([...this.liveSessions].map((session) => session.dispose()));
  }
}
