/**
 * cgroup v1 groups: `memory` (the session's budget, tmpfs files included; TCP buffers through
 * `memory.kmem.tcp`), `pids` (processes + threads), `freezer` (stop everything at once before
 * killing it) and, where mounted, `cpu` (`cpu.shares`, a fair share among sessions). The same
 * relative path in each controller's hierarchy.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { childDirectories, collectPids, removeCgroupTree, signalPids, type Cgroup, type CgroupLimits, type CgroupUsage } from './cgroup.ts';

const REQUIRED = ['memory', 'pids', 'freezer'] as const;
type Controller = (typeof REQUIRED)[number] | 'cpu';

/** v1 `cpu.shares` for a v2-style weight (100 ↔ 1024). */
const sharesFor = (weight: number) => Math.max(2, Math.round((weight * 1024) / 100));

export class CgroupV1 implements Cgroup {
  readonly version = 'v1' as const;
  readonly root: string;
  readonly relativePath: string;
  private readonly controllers: readonly Controller[];

  constructor(root: string, relativePath: string) {
    this.root = root;
    this.relativePath = relativePath;
    this.controllers = existsSync(`${root}/cpu/cgroup.procs`) ? [...REQUIRED, 'cpu'] : REQUIRED;
  }

  path(controller: Controller, file?: string): string {
    const dir = `${this.root}/${controller}/${this.relativePath}`;
    return file ? `${dir}/${file}` : dir;
  }

  child(name: string): CgroupV1 {
    return new CgroupV1(this.root, `${this.relativePath}/${name}`);
  }

  exists(): boolean {
    return this.controllers.some((controller) => existsSync(this.path(controller)));
  }

  childNames(): string[] {
    return childDirectories(this.path('pids'));
  }

  procsFiles(): string[] {
    return this.controllers.map((controller) => this.path(controller, 'cgroup.procs'));
  }

  async create(): Promise<void> {
    await Promise.all(this.controllers.map((controller) => mkdir(this.path(controller), { recursive: true })));
    // v1 charges a socket's buffers to the memcg of the process that created it only if that
    // very group has TCP accounting switched on (any write to its limit does), and then up the
    // hierarchy. Without this, sockets of a session's runs (leaves under the session's group,
    // where the limit is) were charged nowhere: 300 unread connections pinned 1118 MiB of kernel
    // memory past a 128 MiB socket limit (140 MiB with this). Unlimited here; the limit above holds.
    await writeFile(this.path('memory', 'memory.kmem.tcp.limit_in_bytes'), '-1').catch(() => {});
  }

  async setLimits(limits: CgroupLimits): Promise<void> {
    if (limits.memoryBytes !== undefined) {
      await writeFile(this.path('memory', 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // No swap here, but if there were, it must not stretch the budget.
      await writeFile(this.path('memory', 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {});
    }
    // Set before any socket exists in the group: v1 accounts TCP buffers only once limited.
    if (limits.socketMemoryBytes !== undefined) await writeFile(this.path('memory', 'memory.kmem.tcp.limit_in_bytes'), String(limits.socketMemoryBytes)).catch(() => {});
    if (limits.maxTasks !== undefined) await writeFile(this.path('pids', 'pids.max'), String(limits.maxTasks));
    if (limits.cpuWeight !== undefined && this.controllers.includes('cpu')) await writeFile(this.path('cpu', 'cpu.shares'), String(sharesFor(limits.cpuWeight)));
  }

  pids(): Promise<number[]> {
    return collectPids(this.path('pids'), (dir) => readFile(`${dir}/cgroup.procs`, 'utf8'));
  }

  async oomKills(): Promise<number> {
    const text = await readFile(this.path('memory', 'memory.oom_control'), 'utf8').catch(() => '');
    const match = /oom_kill (\d+)/.exec(text);
    return match ? Number(match[1]) : 0;
  }

  async usage(): Promise<CgroupUsage> {
    const memory = await readFile(this.path('memory', 'memory.usage_in_bytes'), 'utf8').catch(() => '0');
    // cpuacct is mounted with cpu on Debian (cpu,cpuacct): nanoseconds.
    const cpu = await readFile(this.path('cpu', 'cpuacct.usage'), 'utf8').catch(() => null);
    return { memoryBytes: Number(memory) || 0, cpuSeconds: cpu === null ? null : Number(cpu) / 1e9 };
  }

  async signalAll(signal: NodeJS.Signals): Promise<void> {
    signalPids(await this.pids(), signal);
  }

  /** Freeze (so nothing forks meanwhile), SIGKILL each pid, thaw (so the kills land), repeat until empty. */
  async killAll(timeoutMs = 5_000): Promise<void> {
    if (!existsSync(this.path('freezer'))) return;
    if ((await this.pids()).length === 0) return;
    const state = this.path('freezer', 'freezer.state');
    await writeFile(state, 'FROZEN').catch(() => {});
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = await this.pids();
      signalPids(pids, 'SIGKILL');
      await writeFile(state, 'THAWED').catch(() => {});
      if (pids.length === 0 || Date.now() > deadline) return;
      await sleep(5);
      if ((await this.pids()).length === 0) return;
      await writeFile(state, 'FROZEN').catch(() => {});
    }
  }

  async remove(): Promise<void> {
    for (const controller of this.controllers) await removeCgroupTree(this.path(controller));
  }
}
