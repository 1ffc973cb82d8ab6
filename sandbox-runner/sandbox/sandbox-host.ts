/**
 * The runner's sandbox backend: prepares the host once (state directory, generated /etc files,
 * leftovers from a crash swept away), creates session environments (network namespace, tmpfs
 * directory, cgroups, a uid, and one bubblewrap sandbox with a zygote, see session-sandbox.ts)
 * and prepares runs in them (a run directory with stdio FIFOs, a cgroup, and the run's shell
 * waiting for its program). The sessions layer above never sees a path or a pid.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { RunnerConfig } from '../config.ts';
import type { LanguageVariant } from '../languages.ts';
import { launchLine, zygoteScript } from './launcher.ts';
import { SessionSandbox } from './session-sandbox.ts';
import { CgroupSet, cgroupsAvailable } from './cgroups.ts';
import { claimUidBlock, ownInstances, removeInstance, sweepDeadInstances, UID_BLOCK, type InstanceLayout } from './instances.ts';

export type { InstanceLayout } from './instances.ts';
import { createNetworkNamespace, mountTmpfs, runHelperCommand, spawnPreviewBridge, spawnSandbox, unmount, type SandboxProcess } from './processes.ts';

const ETC_FILES = {
  hosts: '127.0.0.1\tlocalhost workbook\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  passwd: 'root:x:0:0:root:/root:/usr/sbin/nologin\nreader:x:1000:1000:reader:/home/reader:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  group: 'root:x:0:\nreader:x:1000:\nnogroup:x:65534:\n',
  hostname: 'workbook\n',
};

const newId = (prefix: string) => `${prefix}${randomBytes(9).toString('base64url')}`;

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/**
 * A run prepared ahead of its code: its directory (stdio FIFOs, held open by the runner) and its
 * cgroup. `launch` has the session's zygote start it.
 */
export interface PreparedSandbox {
  readonly id: string;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly cgroup: CgroupSet;
  /** Writes the code and has the zygote start the run; `nonce` marks the program's end. */
  launch(variant: LanguageVariant, code: string, nonce: string): Promise<void>;
  /** True when the kernel's OOM killer acted in this run. */
  oomKilled(): Promise<boolean>;
  /** True when the session's sandbox this run was prepared in has ended since (take another). */
  isStale(): boolean;
  /** Kills everything the run started and removes its files (its cgroup may be reused). */
  dispose(): Promise<void>;
  /** Resolves when every process of the launched run is gone, if it ends without end markers. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface RunSlot {
  name: string;
  cgroup: CgroupSet;
}

/** Run directories made at once (one mkfifo for all their FIFOs). */
const RUN_DIR_BATCH = 8;

/** One reader's private world on the host. */
export class SessionEnvironment {
  private disposed = false;
  /** Run slots free for the next sandbox, and how many were ever made. */
  readonly freeSlots: RunSlot[] = [];
  slotCount = 0;

  get ended(): boolean {
    return this.disposed;
  }
  private readonly host: SandboxHost;
  private readonly netnsFd: number;
  readonly id: string;
  readonly uid: number;
  /** Host path of the session directory. */
  readonly dir: string;
  /** Host path of the runs' directories (`/cell` inside, read-only). */
  readonly cellsDir: string;
  readonly cgroup: CgroupSet;
  /** The session's sandbox with its zygote. */
  readonly sandbox: SessionSandbox;
  /** Run directories with their FIFOs made, by sequence number. */
  private readonly readyRunDirs: number[] = [];
  private nextSeq = 1;
  private makingRunDirs: Promise<void> | null = null;

  constructor(host: SandboxHost, id: string, uid: number, netnsFd: number, dir: string, cellsDir: string, cgroup: CgroupSet) {
    this.host = host;
    this.id = id;
    this.uid = uid;
    this.netnsFd = netnsFd;
    this.dir = dir;
    this.cellsDir = cellsDir;
    this.cgroup = cgroup;
    this.sandbox = new SessionSandbox(() => host.spawnSessionSandbox(this));
  }

  /** A run directory with its stdio FIFOs; more are made in batches ahead of need. */
  async takeRunDir(): Promise<number> {
    if (this.readyRunDirs.length === 0) await this.makeRunDirs();
    if (this.readyRunDirs.length < RUN_DIR_BATCH / 2) void this.makeRunDirs().catch(() => {});
    const seq = this.readyRunDirs.shift();
    if (seq === undefined) throw new Error('no run directory could be made');
    return seq;
  }

  /** Makes a batch of run directories if none is ready. */
  async ensureRunDirs(): Promise<void> {
    if (this.readyRunDirs.length === 0) await this.makeRunDirs();
  }

  private makeRunDirs(): Promise<void> {
    this.makingRunDirs ??= (async () => {
      const seqs = Array.from({ length: RUN_DIR_BATCH }, () => this.nextSeq++);
      await Promise.all(seqs.map((seq) => mkdir(`${this.cellsDir}/${seq}`, { mode: 0o755 })));
      const fifos = seqs.flatMap((seq) => ['in', 'out', 'err'].map((name) => `${this.cellsDir}/${seq}/${name}`));
      // The session's programs open them as their uid; no other session can reach this folder.
      const code = await runHelperCommand('/usr/bin/mkfifo', ['-m', '666', ...fifos]);
      if (code !== 0) throw new Error(`mkfifo failed (${code})`);
      this.readyRunDirs.push(...seqs);
    })().finally(() => (this.makingRunDirs = null));
    return this.makingRunDirs;
  }

  get netnsPath(): string {
    return `/proc/${process.pid}/fd/${this.netnsFd}`;
  }

  /** Prepares a run in this session, waiting for its code. */
  async prepareSandbox(): Promise<PreparedSandbox> {
    if (this.disposed) throw new Error('session environment already ended');
    return this.host.startSandbox(this);
  }

  /** Kills every process of the session, then removes its network, directory and cgroups. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.sandbox.close();
    await this.cgroup.killAll();
    await this.cgroup.remove().catch(() => {});
    await this.makingRunDirs?.catch(() => {});
    await rm(this.cellsDir, { recursive: true, force: true }).catch(() => {});
    try {
      closeSync(this.netnsFd);
    } catch {
      // already closed
    }
    await unmount(this.dir);
    await rm(this.dir, { recursive: true, force: true }).catch(() => {});
    this.host.releaseUid(this.uid);
  }

  /** A byte stream to 127.0.0.1:port inside this session's network. */
  openPreviewBridge(port: number): ChildProcess {
    return spawnPreviewBridge(this.netnsPath, port, this.host.config.pythonPath);
  }
}

export class SandboxHost {
  private readonly freeUids: number[] = [];
  private readonly zygote = zygoteScript();
  private readonly rootCgroup: CgroupSet;
  private readonly uidBlock: { firstUid: number; release(): void };
  readonly layout: InstanceLayout;
  readonly config: RunnerConfig;

  private constructor(config: RunnerConfig, uidBlock: { firstUid: number; release(): void }) {
    this.config = config;
    this.uidBlock = uidBlock;
    const instance = `i${process.pid}-${randomBytes(3).toString('hex')}`;
    ownInstances.add(instance);
    const { firstUid } = uidBlock;
    const count = Math.min(UID_BLOCK, config.limits.maxSessions + config.spareSessions + 1);
    for (let uid = firstUid + count - 1; uid >= firstUid; uid--) this.freeUids.push(uid);
    this.layout = { dir: `${config.stateDir}/${instance}`, cgroupPath: `${config.cgroupName}/${instance}`, firstUid, lastUid: firstUid + count - 1 };
    this.rootCgroup = new CgroupSet(config.cgroupRoot, this.layout.cgroupPath);
  }

  /** Checks the machine, sweeps what dead runners left, writes the /etc files. */
  static async start(config: RunnerConfig): Promise<SandboxHost> {
    const problems: string[] = [];
    if (process.platform !== 'linux' || process.arch !== 'x64') problems.push(`the sandbox needs Linux on x86_64 (this is ${process.platform}/${process.arch})`);
    if (process.getuid?.() !== 0) problems.push('the runner must start as root (it drops every sandbox to an unprivileged uid)');
    for (const tool of ['/usr/bin/bwrap', '/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/bin/unshare', '/usr/sbin/ip']) {
      if (!existsSync(tool)) problems.push(`${tool} is missing (apt-get install -y bubblewrap util-linux iproute2)`);
    }
    if (!existsSync(config.pythonPath)) problems.push(`Python not found at ${config.pythonPath} (set RUNNER_PYTHON)`);
    if (!existsSync(config.nodePath)) problems.push(`Node.js not found at ${config.nodePath} (set RUNNER_NODE)`);
    if (!cgroupsAvailable(config.cgroupRoot)) problems.push(`cgroup v1 memory, pids and freezer controllers are not mounted under ${config.cgroupRoot}`);
    if (problems.length) throw new SandboxUnavailableError(`Sandbox unavailable: ${problems.join('; ')}.`);

    await mkdir(config.stateDir, { recursive: true });
    await chmod(config.stateDir, 0o711);
    await sweepDeadInstances(config);
    const host = new SandboxHost(config, claimUidBlock(config.firstSessionUid));
    const { dir } = host.layout;
    for (const sub of ['', '/sessions', '/cells', '/etc']) {
      await mkdir(dir + sub, { recursive: true });
      await chmod(dir + sub, 0o711);
    }
    await writeFile(`${dir}/owner.pid`, String(process.pid));
    for (const [name, content] of Object.entries(ETC_FILES)) await writeFile(`${dir}/etc/${name}`, content, { mode: 0o644 });
    await host.rootCgroup.create();
    return host;
  }

  releaseUid(uid: number): void {
    this.freeUids.push(uid);
  }

  /** Removes this instance's directory, cgroups and uid block (after every session ended). */
  async close(): Promise<void> {
    await removeInstance(this.layout.dir, this.rootCgroup);
    this.uidBlock.release();
    ownInstances.delete(this.layout.dir.slice(this.layout.dir.lastIndexOf('/') + 1));
  }

  /** Creates a session's network, directory and cgroups. */
  async createSession(): Promise<SessionEnvironment> {
    const uid = this.freeUids.pop();
    if (uid === undefined) throw new Error('no free session uid');
    const id = newId('s');
    const dir = `${this.layout.dir}/sessions/${id}`;
    const cellsDir = `${this.layout.dir}/cells/${id}`;
    const cgroup = this.rootCgroup.child(id);
    let netnsFd: number | undefined;
    try {
      await mkdir(dir, { mode: 0o700 });
      await mkdir(cellsDir, { mode: 0o711 });
      await chmod(cellsDir, 0o711);
      await mountTmpfs(dir, uid, this.config.limits.sessionDirBytes);
      await cgroup.create();
      await cgroup.setLimits({ memoryBytes: this.config.limits.memoryBytes, maxProcesses: this.config.limits.maxProcesses });
      netnsFd = await createNetworkNamespace();
      const session = new SessionEnvironment(this, id, uid, netnsFd, dir, cellsDir, cgroup);
      netnsFd = undefined;
      // Start the sandbox and make run directories now: sessions are prepared ahead.
      await Promise.all([session.sandbox.running(), session.ensureRunDirs()]).catch(async (error) => {
        await session.dispose();
        throw Object.assign(error as Error, { sessionDisposed: true });
      });
      return session;
    } catch (error) {
      if ((error as { sessionDisposed?: boolean }).sessionDisposed) throw error;
      if (netnsFd !== undefined) closeSync(netnsFd);
      await cgroup.killAll();
      await cgroup.remove().catch(() => {});
      await rm(cellsDir, { recursive: true, force: true }).catch(() => {});
      await unmount(dir);
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      this.freeUids.push(uid);
      throw error;
    }
  }

  /** Starts a session's sandbox: bubblewrap with the zygote, in the session's cgroups. */
  spawnSessionSandbox(session: SessionEnvironment) {
    return spawnSandbox({
      plan: {
        netnsPath: session.netnsPath,
        uid: session.uid,
        sessionDir: session.dir,
        cellDir: session.cellsDir,
        etcDir: `${this.layout.dir}/etc`,
        pythonPath: this.config.pythonPath,
        nodePath: this.config.nodePath,
        runTmpBytes: this.config.limits.runTmpBytes,
        command: ['/bin/sh', '-c', this.zygote],
      },
      cgroupProcsFiles: session.cgroup.procsFiles(),
      maxFileBytes: this.config.limits.maxFileBytes,
    });
  }

  /**
   * A run's cgroup. Reused within a session: removing a memory cgroup costs the kernel an RCU
   * grace period, far more than a run's own set-up.
   */
  private async takeSlot(session: SessionEnvironment): Promise<RunSlot> {
    const reused = session.freeSlots.pop();
    if (reused) return reused;
    const name = `r${++session.slotCount}`;
    const slot = { name, cgroup: session.cgroup.child(name) };
    await slot.cgroup.create();
    return slot;
  }

  async startSandbox(session: SessionEnvironment): Promise<PreparedSandbox> {
    const id = newId('r');
    const slot = await this.takeSlot(session);
    const { cgroup } = slot;
    const seq = await session.takeRunDir();
    const runDir = `${session.cellsDir}/${seq}`;
    const oomKillsBefore = await cgroup.oomKills();
    // The runner holds every FIFO open read-write: opening never blocks, and the program's
    // opens never wait for a peer. Its end is told by the end markers, not by end-of-file.
    const fifo = (name: string, direction: 'read' | 'write') =>
      new Socket({ fd: openSync(`${runDir}/${name}`, constants.O_RDWR | constants.O_NONBLOCK), readable: direction === 'read', writable: direction === 'write' });
    const stdout = fifo('out', 'read');
    const stderr = fifo('err', 'read');
    const stdin = fifo('in', 'write');
    stdin.on('error', () => {});
    let settle!: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => (settle = resolve));
    let watcher: NodeJS.Timeout | undefined;
    let disposed = false;
    const finish = (result: { code: number | null; signal: NodeJS.Signals | null }) => {
      clearInterval(watcher);
      // Let output already in the FIFOs be read, then end the streams.
      setTimeout(() => {
        stdout.destroy();
        stderr.destroy();
        settle(result);
      }, 20);
    };
    // The run's shell starts now and waits for its program; it joins the run's cgroup before
    // it can start anything, so everything it starts is counted and killed with the run.
    let started: { sandbox: SandboxProcess } | undefined;
    try {
      const { pid, sandbox } = await session.sandbox.startRun(seq);
      const hostPid = await hostPidOf(session.cgroup, pid);
      await Promise.all(cgroup.procsFiles().map((file) => writeFile(file, String(hostPid))));
      started = { sandbox };
    } catch (error) {
      stdin.destroy();
      stdout.destroy();
      stderr.destroy();
      await cgroup.killAll();
      session.freeSlots.push(slot);
      await rm(runDir, { recursive: true, force: true }).catch(() => {});
      throw error;
    }
    return {
      id,
      stdin,
      stdout,
      stderr,
      cgroup,
      exited,
      async launch(variant, code, nonce) {
        await writeFile(`${runDir}/${variant.fileName}`, code, { mode: 0o644 });
        stdin.write(launchLine(variant.name, nonce));
        // Without end markers (the run's shell was killed), the run ends when its cgroup is
        // empty, or with the session's sandbox.
        let checking = false;
        watcher = setInterval(async () => {
          if (checking || stdout.isPaused() || stderr.isPaused()) return;
          checking = true;
          if ((await cgroup.pids()).length === 0) finish({ code: null, signal: 'SIGKILL' });
          checking = false;
        }, 100);
        void started!.sandbox.exited.then(() => finish({ code: null, signal: 'SIGKILL' }));
      },
      async oomKilled() {
        return (await cgroup.oomKills()) > oomKillsBefore;
      },
      isStale() {
        return started!.sandbox.hasExited();
      },
      async dispose() {
        if (disposed) return;
        disposed = true;
        clearInterval(watcher);
        await cgroup.killAll();
        stdin.destroy();
        stdout.destroy();
        stderr.destroy();
        await rm(runDir, { recursive: true, force: true }).catch(() => {});
        if (session.ended || (await cgroup.pids()).length > 0) await cgroup.remove().catch(() => {});
        else session.freeSlots.push(slot);
      },
    };
  }
}

/** Maps a pid inside the session's sandbox to the host pid, among the session's processes. */
async function hostPidOf(sessionCgroup: CgroupSet, innerPid: number): Promise<number> {
  const procs = await readFile(sessionCgroup.path('pids', 'cgroup.procs'), 'utf8');
  for (const line of procs.split('\n')) {
    if (!line) continue;
    const status = await readFile(`/proc/${line}/status`, 'utf8').catch(() => '');
    const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/);
    if (nspid && Number(nspid.at(-1)) === innerPid && nspid.length > 1) return Number(line);
  }
  throw new Error(`run process ${innerPid} not found in the session`);
}
