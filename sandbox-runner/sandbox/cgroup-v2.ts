/**
 * cgroup v2 groups (the unified hierarchy): `memory.max` + `memory.swap.max` (socket buffers and
 * tmpfs pages are charged to it), `pids.max`, `cpu.weight`; OOM kills read from `memory.events`;
 * `cgroup.kill` ends a group at once. Respects the no-internal-processes rule: a group that
 * distributes controllers to children holds no process itself (a session's sandbox lives in a
 * leaf of its own).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { childDirectories, collectPids, removeCgroupTree, signalPids, type Cgroup, type CgroupLimits, type CgroupUsage } from './cgroup.ts';

/** Controllers the sandbox needs, and the one it uses when the host delegates it. */
export const V2_REQUIRED = ['memory', 'pids'] as const;
export const V2_OPTIONAL = ['cpu'] as const;

export class CgroupV2 implements Cgroup {
  readonly version = 'v2' as const;
  /** Absolute directory of the hierarchy's base (the runner's delegated group). */
  readonly base: string;
  readonly relativePath: string;

  constructor(base: string, relativePath: string) {
    this.base = base;
    this.relativePath = relativePath;
  }

  get dir(): string {
    return `${this.base}/${this.relativePath}`;
  }

  child(name: string): CgroupV2 {
    return new CgroupV2(this.base, `${this.relativePath}/${name}`);
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  childNames(): string[] {
    return childDirectories(this.dir);
  }

  procsFiles(): string[] {
    return [`${this.dir}/cgroup.procs`];
  }

  /**
   * Creates the group and each missing parent below the base, enabling in every parent the
   * controllers its children need (`cgroup.subtree_control`). With `parentOfControlled`, the
   * group itself also enables them for its own children (it will then hold no process).
   */
  async create(options: { parentOfControlled?: boolean } = {}): Promise<void> {
    const parts = this.relativePath.split('/').filter(Boolean);
    let dir = this.base;
    for (let index = 0; index < parts.length; index++) {
      await enableControllers(dir);
      dir = `${dir}/${parts[index]}`;
      await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
    if (options.parentOfControlled) await enableControllers(dir);
  }

  async setLimits(limits: CgroupLimits): Promise<void> {
    if (limits.memoryBytes !== undefined) {
      await writeFile(`${this.dir}/memory.max`, String(limits.memoryBytes));
      await writeFile(`${this.dir}/memory.swap.max`, '0').catch(() => {});
    }
    if (limits.maxTasks !== undefined) await writeFile(`${this.dir}/pids.max`, String(limits.maxTasks));
    if (limits.cpuWeight !== undefined && existsSync(`${this.dir}/cpu.weight`)) await writeFile(`${this.dir}/cpu.weight`, String(limits.cpuWeight));
  }

  pids(): Promise<number[]> {
    return collectPids(this.dir, (dir) => readFile(`${dir}/cgroup.procs`, 'utf8'));
  }

  async oomKills(): Promise<number> {
    const text = await readFile(`${this.dir}/memory.events`, 'utf8').catch(() => '');
    const match = /^oom_kill (\d+)/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  async usage(): Promise<CgroupUsage> {
    const memory = await readFile(`${this.dir}/memory.current`, 'utf8').catch(() => '0');
    const cpu = /^usage_usec (\d+)/m.exec(await readFile(`${this.dir}/cpu.stat`, 'utf8').catch(() => ''));
    return { memoryBytes: Number(memory) || 0, cpuSeconds: cpu ? Number(cpu[1]) / 1e6 : null };
  }

  async signalAll(signal: NodeJS.Signals): Promise<void> {
    signalPids(await this.pids(), signal);
  }

  async killAll(timeoutMs = 5_000): Promise<void> {
    if (!this.exists() || (await this.pids()).length === 0) return;
    const deadline = Date.now() + timeoutMs;
    const hasKill = existsSync(`${this.dir}/cgroup.kill`);
    for (;;) {
      if (hasKill) {
        await writeFile(`${this.dir}/cgroup.kill`, '1').catch(() => {});
      } else {
        // Kernels before 5.14: freeze, kill each pid, thaw.
        await writeFile(`${this.dir}/cgroup.freeze`, '1').catch(() => {});
        signalPids(await this.pids(), 'SIGKILL');
        await writeFile(`${this.dir}/cgroup.freeze`, '0').catch(() => {});
      }
      await sleep(2);
      if ((await this.pids()).length === 0 || Date.now() > deadline) return;
      await sleep(5);
    }
  }

  async remove(): Promise<void> {
    await removeCgroupTree(this.dir);
  }
}

/** Enables the controllers this directory offers (of those the sandbox uses) for its children. */
async function enableControllers(dir: string): Promise<void> {
  const available = readFileSync(`${dir}/cgroup.controllers`, 'utf8').split(/\s+/);
  const enabled = readFileSync(`${dir}/cgroup.subtree_control`, 'utf8').split(/\s+/);
  const wanted = [...V2_REQUIRED, ...V2_OPTIONAL].filter((name) => available.includes(name) && !enabled.includes(name));
  if (wanted.length) await writeFile(`${dir}/cgroup.subtree_control`, wanted.map((name) => `+${name}`).join(' '));
}

/**
 * Makes this process's cgroup usable as the base of the runner's groups and returns its path.
 * A non-root group that enables controllers for children may hold no process, so every process
 * in it (this runner, and in a container its siblings) moves into a leaf `runner` beside the
 * sandbox groups, as nsjail and isolate do in a delegated container cgroup. A runner already in
 * such a leaf (a second runner in one process) uses the leaf's parent. Throws with the reason
 * when the controllers are not delegated to this group.
 */
export function prepareV2Base(root: string, ownPath: string): string {
  let base = `${root}${ownPath === '/' ? '' : ownPath}`;
  if (ownPath !== '/' && ownPath.endsWith('/runner')) base = base.slice(0, -'/runner'.length);
  const available = readFileSync(`${base}/cgroup.controllers`, 'utf8').split(/\s+/);
  const missing = V2_REQUIRED.filter((name) => !available.includes(name));
  if (missing.length) {
    throw new Error(`the cgroup v2 controllers ${missing.join(', ')} are not delegated to this process's cgroup ${base} (start the runner where they are, e.g. systemd-run --scope -p Delegate=yes, or a container with a delegated cgroup)`);
  }
  if (base !== root) {
    const procs = readFileSync(`${base}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
    if (procs.length) {
      const leaf = `${base}/runner`;
      mkdirSync(leaf, { recursive: true });
      for (const pid of procs) {
        try {
          writeFileSync(`${leaf}/cgroup.procs`, pid);
        } catch (error) {
          // A process that exited meanwhile; kernel threads cannot move (and do not live here).
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
    }
  }
  return base;
}
