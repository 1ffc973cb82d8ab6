/**
 * The real sandbox backend. Prepares the host once (state directory, generated /etc files, the
 * cgroup hierarchy of the machine's version, leftovers of dead runners swept), creates session
 * environments (a network namespace, a tmpfs directory, a cgroup with the session's budget, a
 * uid, and one bubblewrap sandbox with a zygote: see session-sandbox.ts) and prepares runs in
 * them (bubblewrap-run.ts). The sessions layer sees only the interfaces of backend.ts.
 */
import { chmod, chown, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { closeSync, existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { RunnerConfig } from '../config.ts';
import { NODE_HOOKS_SOURCE } from '../languages.ts';
import type { BackendDescription, PreparedRun, SandboxBackend, SandboxUsage, SessionEnvironment } from './backend.ts';
import { BubblewrapPreparedRun } from './bubblewrap-run.ts';
import type { Cgroup } from './cgroup.ts';
import { openCgroupHierarchy, type CgroupHierarchy } from './cgroup-hierarchy.ts';
import { LAUNCHER_SHELL, zygoteScript } from './launcher.ts';
import { SessionSandbox } from './session-sandbox.ts';
import { sandboxReachableCopy } from './host-binaries.ts';
import { claimUidBlock, ownInstances, removeInstance, sweepDeadInstances, UID_BLOCK, type InstanceLayout } from './instances.ts';
import { PacketCapture, type CaptureHandle } from '../wire/capture.ts';
import { CapturedSessionWire } from '../wire/session-wire.ts';
import { createNetworkNamespace, mountTmpfs, runHelperCommand, spawnPreviewBridge, spawnSandbox, unmount } from './processes.ts';

export type { InstanceLayout } from './instances.ts';

const ETC_FILES = {
  hosts: '127.0.0.1\tlocalhost workbook\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  passwd: 'root:x:0:0:root:/root:/usr/sbin/nologin\nreader:x:1000:1000:reader:/home/reader:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  group: 'root:x:0:\nreader:x:1000:\nnogroup:x:65534:\n',
  hostname: 'workbook\n',
};

/** `s<random>.<runner>`: base64url has no dot, so the runner's name is what follows the dot. */
const newId = (prefix: string, runnerName: string) => `${prefix}${randomBytes(9).toString('base64url')}.${runnerName}`;

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** Run directories made at once (one mkfifo for all their FIFOs). */
const RUN_DIR_BATCH = 8;

/** A run's cgroup, reused within a session: removing a memory cgroup costs an RCU grace period. */
interface RunSlot {
  cgroup: Cgroup;
}

/** One reader's private world on the host. */
class BubblewrapSession implements SessionEnvironment {
  readonly id: string;
  private disposed = false;
  private readonly backend: BubblewrapBackend;
  private readonly netnsFd: number;
  readonly uid: number;
  /** Host path of the session directory. */
  readonly dir: string;
  /** Host path of the runs' directories (`/cell` inside, read-only). */
  readonly cellsDir: string;
  /** The session's budget; its sandbox (zygote) lives in the leaf `zygote`, runs in `r<N>`. */
  readonly cgroup: Cgroup;
  readonly zygoteCgroup: Cgroup;
  readonly relayCgroup: Cgroup;
  readonly sandbox: SessionSandbox;
  private readonly freeSlots: RunSlot[] = [];
  private slotCount = 0;
  private readonly readyRunDirs: number[] = [];
  private nextSeq = 1;
  private makingRunDirs: Promise<void> | null = null;
  readonly wire: CapturedSessionWire | null = null;
  private readonly capture: CaptureHandle | null = null;

  constructor(backend: BubblewrapBackend, options: { id: string; uid: number; netnsFd: number; dir: string; cellsDir: string; cgroup: Cgroup }) {
    this.backend = backend;
    this.id = options.id;
    this.uid = options.uid;
    this.netnsFd = options.netnsFd;
    this.dir = options.dir;
    this.cellsDir = options.cellsDir;
    this.cgroup = options.cgroup;
    this.zygoteCgroup = options.cgroup.child('zygote');
    this.relayCgroup = options.cgroup.child('relays');
    this.sandbox = new SessionSandbox(() => backend.spawnSessionSandbox(this));
    if (backend.capture) {
      const wire = new CapturedSessionWire(
        { netnsPid: async () => (await this.zygoteCgroup.pids())[0] ?? null },
        { capacity: backend.config.limits.wirePacketsPerSession, maxFollowers: 8 },
      );
      this.wire = wire;
      this.capture = backend.capture.watch(this.netnsPath, {
        packet: (at, _length, frame) => wire.ingest(at, frame),
        dropped: (count) => wire.missed(count),
        failed: () => {},
      });
    }
  }

  get ended(): boolean {
    return this.disposed;
  }

  get netnsPath(): string {
    return `/proc/${process.pid}/fd/${this.netnsFd}`;
  }

  /** A run directory with its stdio FIFOs; more are made in batches ahead of need. */
  private async takeRunDir(): Promise<number> {
    if (this.readyRunDirs.length === 0) await this.makeRunDirs();
    if (this.readyRunDirs.length < RUN_DIR_BATCH / 2) void this.makeRunDirs().catch(() => {});
    const seq = this.readyRunDirs.shift();
    if (seq === undefined) throw new Error('no run directory could be made');
    return seq;
  }

  async ensureRunDirs(): Promise<void> {
    if (this.readyRunDirs.length === 0) await this.makeRunDirs();
  }

  private makeRunDirs(): Promise<void> {
    this.makingRunDirs ??= (async () => {
      const seqs = Array.from({ length: RUN_DIR_BATCH }, () => this.nextSeq++);
      // Readable by the session's group only: no other local user can open a reader's FIFOs.
      await Promise.all(seqs.map(async (seq) => {
        await mkdir(`${this.cellsDir}/${seq}`, { mode: 0o750 });
        await chown(`${this.cellsDir}/${seq}`, 0, this.uid);
      }));
      const fifos = seqs.flatMap((seq) => ['in', 'out', 'err'].map((name) => `${this.cellsDir}/${seq}/${name}`));
      const code = await runHelperCommand('/usr/bin/mkfifo', ['-m', '600', ...fifos]);
      if (code !== 0) throw new Error(`mkfifo failed (${code})`);
      await Promise.all(fifos.map((fifo) => chown(fifo, this.uid, this.uid)));
      this.readyRunDirs.push(...seqs);
    })().finally(() => (this.makingRunDirs = null));
    return this.makingRunDirs;
  }

  private async takeSlot(): Promise<RunSlot> {
    const reused = this.freeSlots.pop();
    if (reused) return reused;
    const slot = { cgroup: this.cgroup.child(`r${++this.slotCount}`) };
    await slot.cgroup.create();
    return slot;
  }

  async prepareRun(): Promise<PreparedRun> {
    if (this.disposed) throw new Error('the session has ended');
    const slot = await this.takeSlot();
    const seq = await this.takeRunDir();
    const runDir = `${this.cellsDir}/${seq}`;
    const release = (reusable: boolean) => {
      if (reusable && !this.disposed) this.freeSlots.push(slot);
      else void slot.cgroup.remove().catch(() => {});
    };
    let started: Awaited<ReturnType<SessionSandbox['startRun']>>;
    const oomKillsBefore = await slot.cgroup.oomKills();
    const runId = newId('r', this.backend.config.runnerName);
    const { wire } = this;
    const prepared = new BubblewrapPreparedRun(runId, {
      runDir,
      gid: this.uid,
      cgroup: slot.cgroup,
      sandboxExited: this.sandbox.running().then((sandbox) => sandbox.exited),
      sandboxHasExited: () => started?.sandbox.hasExited() ?? false,
      release,
      onLaunched: wire ? (handle) => {
        wire.runStarted(runId, () => slot.cgroup.pids());
        void handle.exited.then(() => wire.runEnded(runId), () => wire.runEnded(runId));
      } : undefined,
    }, oomKillsBefore);
    // The run's shell starts now and waits for its program; it joins the run's cgroup before it
    // can start anything, so everything it starts is counted and killed with the run.
    try {
      started = await this.sandbox.startRun(seq);
      const hostPid = await hostPidOf(this.zygoteCgroup, started.pid);
      await Promise.all(slot.cgroup.procsFiles().map((file) => writeFile(file, String(hostPid))));
    } catch (error) {
      await prepared.dispose();
      throw error;
    }
    return prepared;
  }

  openPreviewConnection(port: number): Duplex {
    const bridge = spawnPreviewBridge({ netnsPath: this.netnsPath, port, pythonPath: this.backend.config.pythonPath, cgroupProcsFiles: this.relayCgroup.procsFiles() });
    const stream = Duplex.from({ readable: bridge.stdout!, writable: bridge.stdin! });
    const end = () => bridge.kill('SIGKILL');
    stream.on('close', end);
    stream.on('error', end);
    bridge.stdin!.on('error', () => {});
    return stream;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.wire?.end();
    this.capture?.close();
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
    this.backend.releaseUid(this.uid);
  }
}

/**
 * The runner-wide memory budget by default: what the machine has, less what the host needs to
 * stay alive (a quarter, at least 1 GiB), so that every session full at once cannot starve it.
 */
export function defaultTotalMemoryBytes(machineBytes = totalmem()): number {
  return Math.max(256 * 2 ** 20, machineBytes - Math.max(2 ** 30, Math.floor(machineBytes / 4)));
}

/** The runner-wide task budget by default: half of the kernel's pid space. */
export async function defaultMaxTasksTotal(): Promise<number> {
  const pidMax = Number((await readFile('/proc/sys/kernel/pid_max', 'utf8').catch(() => '32768')).trim());
  return Math.max(1024, Math.floor(pidMax / 2));
}

export class BubblewrapBackend implements SandboxBackend {
  readonly description: BackendDescription;
  readonly layout: InstanceLayout;
  readonly config: RunnerConfig;
  private readonly freeUids: number[] = [];
  private readonly zygote = zygoteScript();
  private readonly rootCgroup: Cgroup;
  private readonly uidBlock: { firstUid: number; release(): void };
  /** The Node.js binary as the sandbox binds it (a reachable copy when the checkout is private). */
  private readonly nodePath: string;
  /** The one packet capture of this runner (null with RUNNER_WIRE=off). */
  readonly capture: PacketCapture | null;

  private constructor(config: RunnerConfig, cgroups: CgroupHierarchy, uidBlock: { firstUid: number; release(): void }) {
    this.config = config;
    this.uidBlock = uidBlock;
    this.description = { name: 'bubblewrap', cgroup: cgroups.version };
    this.nodePath = sandboxReachableCopy(config.nodePath);
    this.capture = config.wire ? new PacketCapture({ pythonPath: config.pythonPath, onProblem: (message) => process.emitWarning(message) }) : null;
    const instance = `i${process.pid}-${randomBytes(3).toString('hex')}`;
    ownInstances.add(instance);
    const { firstUid } = uidBlock;
    const count = Math.min(UID_BLOCK, config.limits.maxSessions + config.spareSessions + 1);
    for (let uid = firstUid + count - 1; uid >= firstUid; uid--) this.freeUids.push(uid);
    const cgroupPath = `${config.cgroupName}/${instance}`;
    this.rootCgroup = cgroups.group(cgroupPath);
    const cgroupDirs = cgroups.version === 'v2' ? [`${cgroups.base}/${cgroupPath}`] : ['memory', 'pids', 'freezer'].map((controller) => `${cgroups.base}/${controller}/${cgroupPath}`);
    this.layout = { dir: `${config.stateDir}/${instance}`, cgroupPath, cgroupVersion: cgroups.version, cgroupDirs, firstUid, lastUid: firstUid + count - 1 };
  }

  /** Checks the machine, sweeps what dead runners left, writes the /etc files. */
  static async start(config: RunnerConfig): Promise<BubblewrapBackend> {
    const problems: string[] = [];
    if (process.platform !== 'linux' || process.arch !== 'x64') problems.push(`the sandbox needs Linux on x86_64 (this is ${process.platform}/${process.arch})`);
    if (process.getuid?.() !== 0) problems.push('the runner must start as root (it drops every sandbox to an unprivileged uid)');
    for (const tool of ['/usr/bin/bwrap', '/usr/bin/nsenter', '/usr/bin/setpriv', '/usr/bin/unshare', '/usr/sbin/ip']) {
      if (!existsSync(tool)) problems.push(`${tool} is missing (apt-get install -y bubblewrap util-linux iproute2)`);
    }
    if (!existsSync(config.pythonPath)) problems.push(`Python not found at ${config.pythonPath} (set RUNNER_PYTHON)`);
    if (!existsSync(config.nodePath)) problems.push(`Node.js not found at ${config.nodePath} (set RUNNER_NODE)`);
    let cgroups: CgroupHierarchy | undefined;
    if (problems.length === 0) {
      try {
        cgroups = openCgroupHierarchy(config.cgroupRoot);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    if (problems.length || !cgroups) throw new SandboxUnavailableError(`Sandbox unavailable: ${problems.join('; ')}.`);

    await mkdir(config.stateDir, { recursive: true });
    await chmod(config.stateDir, 0o711);
    await sweepDeadInstances(config, cgroups);
    const backend = new BubblewrapBackend(config, cgroups, claimUidBlock(config.firstSessionUid));
    const { dir } = backend.layout;
    for (const sub of ['', '/sessions', '/cells', '/etc', '/bin']) {
      await mkdir(dir + sub, { recursive: true });
      await chmod(dir + sub, 0o711);
    }
    await writeFile(`${dir}/owner.pid`, String(process.pid));
    for (const [name, content] of Object.entries(ETC_FILES)) await writeFile(`${dir}/etc/${name}`, content, { mode: 0o644 });
    // An execute-only copy: a process that execs a file it cannot read is non-dumpable, so the
    // reader's programs (same uid) cannot read or trace the session's launcher shells.
    await copyFile(realpathSync('/bin/sh'), `${dir}/bin/sh`);
    await chmod(`${dir}/bin/sh`, 0o111);
    await writeFile(`${dir}/bin/cell-hooks.mjs`, NODE_HOOKS_SOURCE, { mode: 0o644 });
    await backend.rootCgroup.create({ parentOfControlled: true });
    await backend.rootCgroup.setLimits({
      memoryBytes: config.limits.totalMemoryBytes ?? defaultTotalMemoryBytes(),
      maxTasks: config.limits.maxTasksTotal ?? (await defaultMaxTasksTotal()),
    });
    return backend;
  }

  releaseUid(uid: number): void {
    this.freeUids.push(uid);
  }

  usage(): Promise<SandboxUsage> {
    return this.rootCgroup.usage();
  }

  async close(): Promise<void> {
    this.capture?.close();
    await removeInstance(this.layout.dir, this.rootCgroup);
    this.uidBlock.release();
    ownInstances.delete(this.layout.dir.slice(this.layout.dir.lastIndexOf('/') + 1));
  }

  async createSession(): Promise<SessionEnvironment> {
    const uid = this.freeUids.pop();
    if (uid === undefined) throw new Error('no free session uid');
    const id = newId('s', this.config.runnerName);
    const dir = `${this.layout.dir}/sessions/${id}`;
    const cellsDir = `${this.layout.dir}/cells/${id}`;
    const cgroup = this.rootCgroup.child(id);
    const { limits } = this.config;
    let netnsFd: number | undefined;
    try {
      await mkdir(dir, { mode: 0o700 });
      await mkdir(cellsDir, { mode: 0o750 });
      await chmod(cellsDir, 0o750);
      await chown(cellsDir, 0, uid);
      await mountTmpfs(dir, uid, limits.sessionDirBytes);
      await cgroup.create({ parentOfControlled: true });
      await cgroup.setLimits({ memoryBytes: limits.memoryBytes, socketMemoryBytes: Math.floor(limits.memoryBytes / 4), maxTasks: limits.maxProcesses, cpuWeight: 100 });
      const session = new BubblewrapSession(this, { id, uid, netnsFd: (netnsFd = await createNetworkNamespace()), dir, cellsDir, cgroup });
      netnsFd = undefined;
      await Promise.all([session.zygoteCgroup.create(), session.relayCgroup.create()]);
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

  /** Starts a session's sandbox: bubblewrap with the zygote, in the session's zygote leaf. */
  spawnSessionSandbox(session: BubblewrapSession) {
    return spawnSandbox({
      plan: {
        netnsPath: session.netnsPath,
        uid: session.uid,
        sessionDir: session.dir,
        cellDir: session.cellsDir,
        etcDir: `${this.layout.dir}/etc`,
        pythonPath: this.config.pythonPath,
        nodePath: this.nodePath,
        runTmpBytes: this.config.limits.runTmpBytes,
        launcherShellPath: `${this.layout.dir}/bin/sh`,
        nodeHooksPath: `${this.layout.dir}/bin/cell-hooks.mjs`,
        command: [LAUNCHER_SHELL, '-c', this.zygote],
      },
      cgroupProcsFiles: session.zygoteCgroup.procsFiles(),
      maxFileBytes: this.config.limits.maxFileBytes,
    });
  }
}

/** Maps a pid inside the session's sandbox to the host pid, among the session's processes. */
async function hostPidOf(zygoteCgroup: Cgroup, innerPid: number): Promise<number> {
  for (const pid of await zygoteCgroup.pids()) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/);
    if (nspid && Number(nspid.at(-1)) === innerPid && nspid.length > 1) return pid;
  }
  throw new Error(`run process ${innerPid} not found in the session`);
}
