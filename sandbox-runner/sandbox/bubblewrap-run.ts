/**
 * One run in a bubblewrap session: prepared ahead (a run directory with stdio FIFOs the runner
 * holds open, a cgroup, and the run's shell started by the session's zygote, waiting for its
 * program line), then launched into a RunHandle. The program's end is told by end markers that
 * carry a per-run nonce (its FIFOs never report end-of-file: the runner holds them open), or by
 * its cgroup emptying, or by the session's sandbox ending; a kill ends it whatever state its
 * output is in, so a reader who stops reading can never keep a run alive.
 */
import { randomBytes } from 'node:crypto';
import { constants, openSync } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { constants as os } from 'node:os';
import type { OutputStream, PreparedRun, RunExit, RunHandle, RunProgram } from './backend.ts';
import type { Cgroup } from './cgroup.ts';
import { EndMarkerScanner, launchLine } from './launcher.ts';

const SIGNAL_NAMES = Object.fromEntries(Object.entries(os.signals).map(([name, number]) => [number, name])) as Record<number, NodeJS.Signals>;

/** Processes of a run before its program starts: the run's shell and the env that execs it. */
const LAUNCH_STEPS = new Set(['sh', 'env']);

/** Stdin the runner holds for a program that does not read it; beyond this, writes are refused. */
export const MAX_PENDING_STDIN_BYTES = 1024 * 1024;

export class StdinBackpressureError extends Error {
  override name = 'StdinBackpressureError';
}

/** What a prepared run needs from its session. */
export interface RunSite {
  /** The run's directory on the host (`/cell/<seq>` inside). */
  runDir: string;
  /** Host gid of the session (files the program reads are group-readable for it). */
  gid: number;
  cgroup: Cgroup;
  /** Resolves when the session's sandbox (the zygote) this run was started in ends. */
  sandboxExited: Promise<unknown>;
  sandboxHasExited(): boolean;
  /** Gives the run's cgroup back to the session, or drops it; called once. */
  release(reusable: boolean): void;
  /** Told when the program is sent on its way (the packet capture attributes sockets by run). */
  onLaunched?(handle: RunHandle): void;
}

/** A shell's status 128 + N means it reported a program killed by signal N. */
function exitFromStatus(status: number): { code: number | null; signal: NodeJS.Signals | null } {
  if (status > 128 && status <= 128 + 64 && SIGNAL_NAMES[status - 128]) return { code: null, signal: SIGNAL_NAMES[status - 128] };
  return { code: status, signal: null };
}

export class BubblewrapPreparedRun implements PreparedRun {
  readonly id: string;
  private readonly site: RunSite;
  private readonly streams: { stdin: Socket; stdout: Socket; stderr: Socket };
  private readonly oomKillsBefore: number;
  private handle: BubblewrapRunHandle | null = null;
  private disposed = false;

  constructor(id: string, site: RunSite, oomKillsBefore: number) {
    this.id = id;
    this.site = site;
    this.oomKillsBefore = oomKillsBefore;
    const fifo = (name: string, direction: 'read' | 'write') =>
      new Socket({ fd: openSync(`${site.runDir}/${name}`, constants.O_RDWR | constants.O_NONBLOCK), readable: direction === 'read', writable: direction === 'write' });
    const stdout = fifo('out', 'read');
    const stderr = fifo('err', 'read');
    const stdin = fifo('in', 'write');
    stdin.on('error', () => {});
    // Nothing is read before launch: output waits in the FIFOs until there is a listener.
    stdout.pause();
    stderr.pause();
    this.streams = { stdin, stdout, stderr };
  }

  isStale(): boolean {
    return this.site.sandboxHasExited();
  }

  async launch(program: RunProgram): Promise<RunHandle> {
    if (this.handle || this.disposed) throw new Error('this prepared run was already used');
    const { runDir, gid } = this.site;
    await writeReadable(`${runDir}/${program.variant.fileName}`, program.code, gid);
    const files = Object.entries(program.files ?? {});
    // Into the run's own root-owned folder; the run's shell copies them as the session's uid.
    for (const [name, content] of files) {
      const parts = name.split('/');
      for (let depth = 1; depth < parts.length + 1; depth++) {
        const dir = [`${runDir}/files`, ...parts.slice(0, depth - 1)].join('/');
        await mkdir(dir, { mode: 0o750 }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        await chown(dir, 0, gid);
      }
      await writeReadable(`${runDir}/files/${name}`, content, gid);
    }
    const nonce = randomBytes(12).toString('hex');
    this.handle = new BubblewrapRunHandle(this.site, this.streams, nonce, this.oomKillsBefore);
    this.site.onLaunched?.(this.handle);
    this.streams.stdin.write(launchLine(program.variant.name, nonce, program.args ?? [], files.length > 0));
    return this.handle;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.handle) return this.handle.dispose();
    await disposeSite(this.site, this.streams);
  }
}

/** A root-owned file the session's group may read (and no other local user). */
async function writeReadable(path: string, content: string, gid: number): Promise<void> {
  await writeFile(path, content, { mode: 0o640 });
  await chown(path, 0, gid);
}

async function disposeSite(site: RunSite, streams: { stdin: Socket; stdout: Socket; stderr: Socket }): Promise<void> {
  await site.cgroup.killAll();
  for (const stream of Object.values(streams)) stream.destroy();
  await rm(site.runDir, { recursive: true, force: true }).catch(() => {});
  site.release((await site.cgroup.pids()).length === 0);
}

class BubblewrapRunHandle implements RunHandle {
  readonly exited: Promise<RunExit>;
  private readonly site: RunSite;
  private readonly streams: { stdin: Socket; stdout: Socket; stderr: Socket };
  private readonly oomKillsBefore: number;
  private listener: ((stream: OutputStream, data: Buffer) => void) | null = null;
  private settle!: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
  private settled = false;
  private paused = false;
  private killed = false;
  private watcher: NodeJS.Timeout;
  private disposed: Promise<void> | null = null;

  constructor(site: RunSite, streams: { stdin: Socket; stdout: Socket; stderr: Socket }, nonce: string, oomKillsBefore: number) {
    this.site = site;
    this.streams = streams;
    this.oomKillsBefore = oomKillsBefore;
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => (this.settle = resolve));
    this.exited = ended.then(async (exit) => ({ ...exit, oomKilled: (await site.cgroup.oomKills()) > oomKillsBefore }));
    const scanners = { stdout: new EndMarkerScanner(nonce), stderr: new EndMarkerScanner(nonce) };
    for (const stream of ['stdout', 'stderr'] as const) {
      streams[stream].on('data', (chunk: Buffer) => {
        const output = scanners[stream].push(chunk);
        if (output.length && !this.settled) this.listener?.(stream, output);
        if (scanners.stdout.ended !== null && scanners.stderr.ended !== null) this.finish(exitFromStatus(Number(scanners.stdout.ended)));
      });
      streams[stream].on('error', () => {});
    }
    // Without end markers (the run's shell was killed), the run ends when its cgroup is empty and
    // its output drained, or with the session's sandbox.
    let checking = false;
    this.watcher = setInterval(async () => {
      if (checking || this.paused) return;
      checking = true;
      const empty = (await site.cgroup.pids()).length === 0;
      checking = false;
      if (empty) this.finishAfterDrain(() => ({ code: null, signal: 'SIGKILL' }));
    }, 100);
    void site.sandboxExited.then(() => this.finishAfterDrain(() => ({ code: null, signal: 'SIGKILL' })));
  }

  onOutput(listener: (stream: OutputStream, data: Buffer) => void): void {
    this.listener = listener;
    if (!this.paused) this.resumeOutput();
  }

  pauseOutput(): void {
    this.paused = true;
    this.streams.stdout.pause();
    this.streams.stderr.pause();
  }

  resumeOutput(): void {
    this.paused = false;
    if (!this.listener) return;
    this.streams.stdout.resume();
    this.streams.stderr.resume();
  }

  writeStdin(data: string): Promise<void> {
    const { stdin } = this.streams;
    if (this.settled || stdin.destroyed || stdin.writableEnded) return Promise.reject(new Error('the run has ended'));
    const bytes = Buffer.byteLength(data);
    if (stdin.writableLength + bytes > MAX_PENDING_STDIN_BYTES) {
      return Promise.reject(new StdinBackpressureError(`the program has not read the ${stdin.writableLength} bytes of input sent before; at most ${MAX_PENDING_STDIN_BYTES} may wait`));
    }
    // Queued, not awaited: a program that never reads must not hang the reader's request.
    stdin.write(data);
    return Promise.resolve();
  }

  closeStdin(): void {
    // The runner's read-write FIFO end is the only writer left once the program opened it: the
    // program sees EOF when it is closed.
    this.streams.stdin.end();
  }

  /**
   * SIGINT once the program itself is there: a Stop pressed as the run starts would otherwise
   * reach only the run's shell (which ignores it) and the program would never see its Ctrl-C.
   */
  async interrupt(): Promise<void> {
    const deadline = Date.now() + 2_000;
    while (!this.settled) {
      const pids = await this.site.cgroup.pids();
      const names = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/comm`, 'utf8').then((name) => name.trim(), () => '')));
      if (names.some((name) => name && !LAUNCH_STEPS.has(name)) || Date.now() > deadline) {
        await this.site.cgroup.signalAll('SIGINT');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async kill(): Promise<void> {
    if (this.settled) return;
    this.killed = true;
    await this.site.cgroup.killAll();
    this.finish({ code: null, signal: 'SIGKILL' });
  }

  /** Lets output already in the FIFOs be read before the run is declared ended. */
  private finishAfterDrain(exit: () => { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.settled) return;
    setTimeout(() => this.finish(exit()), 20);
  }

  private finish(exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.watcher);
    if (this.killed) exit = { code: null, signal: 'SIGKILL' };
    this.streams.stdout.destroy();
    this.streams.stderr.destroy();
    this.settle(exit);
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (!this.settled) await this.kill();
      await disposeSite(this.site, this.streams);
    })();
    return this.disposed;
  }
}
