/**
 * One interface over cgroup v1 and v2, chosen at start-up by what the machine mounts (as nsjail
 * keeps cgroup.cc and cgroup2.cc behind the same entry points). A `Cgroup` is one group at the
 * same relative path in every controller the sandbox uses; the runner's instance, each session
 * and each run get one. File-system operations only: no process is started here.
 */
import { readdir, rmdir } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export type CgroupVersion = 'v1' | 'v2';

export interface CgroupLimits {
  /** Memory of the group and its descendants (tmpfs pages and, on v2, socket buffers included). */
  memoryBytes?: number;
  /** Kernel TCP buffer memory (v1 accounts it apart from `memoryBytes`; v2 counts it in it). */
  socketMemoryBytes?: number;
  /** Tasks (processes and threads) of the group and its descendants. */
  maxTasks?: number;
  /** Relative CPU share among sibling groups (v2 `cpu.weight`, 1–10000, 100 is the default). */
  cpuWeight?: number;
}

export interface CgroupUsage {
  memoryBytes: number;
  /** null when the CPU controller is not there to ask. */
  cpuSeconds: number | null;
}

export interface Cgroup {
  readonly version: CgroupVersion;
  /** Path relative to the hierarchy's base, e.g. `socket-workbook/i12-ab/sXYZ/r1`. */
  readonly relativePath: string;
  child(name: string): Cgroup;
  exists(): boolean;
  /** Names of the child groups that exist now. */
  childNames(): string[];
  /** Creates the group (and its parents); on v2 enables the controllers for its children. */
  create(options?: { parentOfControlled?: boolean }): Promise<void>;
  setLimits(limits: CgroupLimits): Promise<void>;
  /** The `cgroup.procs` files a process writes its pid into to join the group. */
  procsFiles(): string[];
  /** Pids of every process in the group and its descendants. */
  pids(): Promise<number[]>;
  /** How many times the kernel's OOM killer acted in this group and below. */
  oomKills(): Promise<number>;
  /** Memory now and CPU time so far of the group and its descendants (read-only; for metrics). */
  usage(): Promise<CgroupUsage>;
  /** Sends a signal to every process in the group and below (SIGINT for Ctrl-C). */
  signalAll(signal: NodeJS.Signals): Promise<void>;
  /** Kills every process in the group and below, and waits until it is empty. */
  killAll(timeoutMs?: number): Promise<void>;
  /** Removes the group and its descendants (children first; EBUSY is retried). */
  remove(): Promise<void>;
}

/** Reads a group's `cgroup.procs` and its descendants' into one list. */
export async function collectPids(dir: string, readProcs: (dir: string) => Promise<string>): Promise<number[]> {
  const pids: number[] = [];
  const collect = async (path: string) => {
    const text = await readProcs(path).catch(() => '');
    for (const line of text.split('\n')) if (line) pids.push(Number(line));
    const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) await collect(`${path}/${entry.name}`);
  };
  await collect(dir);
  return pids;
}

/** Removes a directory tree of cgroups, children first; the kernel may answer EBUSY for a moment. */
export async function removeCgroupTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return;
  for (const entry of entries) if (entry.isDirectory()) await removeCgroupTree(`${dir}/${entry.name}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt === 49) throw error;
      await sleep(10);
    }
  }
}

/** Sub-directories of a cgroup directory (its child groups); none when it does not exist. */
export function childDirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Which cgroup version `root` mounts: v2 (unified), v1 (per-controller), or null with the reason. */
export function detectCgroupVersion(root: string): { version: CgroupVersion } | { version: null; reason: string } {
  if (existsSync(`${root}/cgroup.controllers`)) return { version: 'v2' };
  const v1 = ['memory', 'pids', 'freezer'];
  const missing = v1.filter((controller) => !existsSync(`${root}/${controller}/cgroup.procs`));
  if (missing.length === 0) return { version: 'v1' };
  return { version: null, reason: `no cgroup v2 at ${root} (no cgroup.controllers) and the cgroup v1 controllers ${missing.join(', ')} are not mounted under ${root}` };
}

/** The cgroup v2 path of this process (`0::/path` in /proc/self/cgroup). */
export function ownCgroupV2Path(procSelfCgroup = readFileSync('/proc/self/cgroup', 'utf8')): string {
  const line = procSelfCgroup.split('\n').find((entry) => entry.startsWith('0::'));
  if (!line) throw new Error('this process is in no cgroup v2 group (no "0::" line in /proc/self/cgroup)');
  return line.slice(3).trim() || '/';
}
