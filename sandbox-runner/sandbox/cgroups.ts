/**
 * cgroup v1 groups for sessions and runs: `memory` (the session's budget, tmpfs files included),
 * `pids` (processes + threads) and `freezer` (stop everything at once before killing it).
 * File-system operations only; no process is started here.
 */
import { mkdir, readFile, rmdir, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const CONTROLLERS = ['memory', 'pids', 'freezer'] as const;
type Controller = (typeof CONTROLLERS)[number];

/** One group present in each controller at the same relative path. */
export class CgroupSet {
  readonly root: string;
  /** Path relative to each controller's mount, e.g. `socket-workbook/sabc/rdef`. */
  readonly relativePath: string;

  constructor(root: string, relativePath: string) {
    this.root = root;
    this.relativePath = relativePath;
  }

  path(controller: Controller, file?: string): string {
    const dir = `${this.root}/${controller}/${this.relativePath}`;
    return file ? `${dir}/${file}` : dir;
  }

  /** `cgroup.procs` files a process writes its pid into to join every controller. */
  procsFiles(): string[] {
    return CONTROLLERS.map((controller) => this.path(controller, 'cgroup.procs'));
  }

  child(name: string): CgroupSet {
    return new CgroupSet(this.root, `${this.relativePath}/${name}`);
  }

  async create(): Promise<void> {
    await Promise.all(CONTROLLERS.map((controller) => mkdir(this.path(controller), { recursive: true })));
  }

  async setLimits(limits: { memoryBytes?: number; maxProcesses?: number }): Promise<void> {
    if (limits.memoryBytes !== undefined) {
      await writeFile(this.path('memory', 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // No swap here, but if there were, it must not stretch the budget.
      await writeFile(this.path('memory', 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {});
    }
    if (limits.maxProcesses !== undefined) await writeFile(this.path('pids', 'pids.max'), String(limits.maxProcesses));
  }

  /** Pids of every process in the group and its children. */
  async pids(): Promise<number[]> {
    const pids: number[] = [];
    const collect = async (dir: string) => {
      const text = await readFile(`${dir}/cgroup.procs`, 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (line) pids.push(Number(line));
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) if (entry.isDirectory()) await collect(`${dir}/${entry.name}`);
    };
    await collect(this.path('pids'));
    return pids;
  }

  /** Times the kernel's OOM killer acted in this group. */
  async oomKills(): Promise<number> {
    const text = await readFile(this.path('memory', 'memory.oom_control'), 'utf8').catch(() => '');
    const match = /oom_kill (\d+)/.exec(text);
    return match ? Number(match[1]) : 0;
  }

  /**
   * Kills every process in the group and below: freeze (so nothing forks meanwhile), SIGKILL
   * each pid, thaw (so the kills land), then wait until the group is empty.
   */
  async killAll(timeoutMs = 5_000): Promise<void> {
    if (!existsSync(this.path('freezer'))) return;
    if ((await this.pids()).length === 0) return;
    const state = this.path('freezer', 'freezer.state');
    await writeFile(state, 'FROZEN').catch(() => {});
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = await this.pids();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await writeFile(state, 'THAWED').catch(() => {});
      if (pids.length === 0 || Date.now() > deadline) return;
      await sleep(5);
      if ((await this.pids()).length === 0) return;
      await writeFile(state, 'FROZEN').catch(() => {});
    }
  }

  /** Removes the group (children first); the kernel may answer EBUSY for a moment: retry. */
  async remove(): Promise<void> {
    for (const controller of CONTROLLERS) await removeTree(this.path(controller));
  }
}

async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return;
  for (const entry of entries) if (entry.isDirectory()) await removeTree(`${dir}/${entry.name}`);
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

/** True when the cgroup v1 controllers the sandbox needs are mounted and writable. */
export function cgroupsAvailable(root: string): boolean {
  return CONTROLLERS.every((controller) => existsSync(`${root}/${controller}/cgroup.procs`));
}
