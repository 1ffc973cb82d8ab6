/**
 * A real runner as a child process (`node sandbox-runner/main.ts`), as an operator starts it:
 * for what only a whole process shows (signals, exit status, what it leaves behind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../sandbox-runner/main.ts', import.meta.url));
/**
 * Node flags a runner process starts with, as `npm start` gives them: V8's young generation capped
 * at 16 MiB a semi-space (it grew to 128 MiB under the load test and stayed: +130 MiB of RSS;
 * with the cap +76 MiB, and lower latencies; docs/deploy.md). V8 reads it at start only.
 */
export const RUNNER_NODE_FLAGS = ['--max-semi-space-size=16'];

export interface RunnerProcess {
  child: ChildProcess;
  url: string;
  previewUrl: string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Everything it printed so far. */
  output(): string;
}

/** Starts `sandbox-runner/main.ts` with `env` on top of the test's own; resolves once it listens. */
export async function startRunnerProcess(env: Record<string, string>, timeoutMs = 60_000, onOutput?: (text: string) => void): Promise<RunnerProcess> {
  const child = spawn(process.execPath, [...RUNNER_NODE_FLAGS, MAIN], { env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (chunk: Buffer) => {
    output += chunk;
    onOutput?.(String(chunk));
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /Socket Workbook: (http:\/\/\S+)\s+previews on (http:\/\/\S+)/.exec(output);
    if (match) return { child, url: match[1], previewUrl: match[2], exited, output: () => output };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the runner did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a runner with pid `pid` left: instance directories, cgroups, processes in them. */
export function processLeftovers(pid: number, stateDir: string, cgroupName: string): string[] {
  const instance = new RegExp(`^i${pid}-`);
  const found: string[] = [];
  if (existsSync(stateDir)) found.push(...readdirSync(stateDir).filter((name) => instance.test(name)).map((name) => `${stateDir}/${name}`));
  const roots = existsSync('/sys/fs/cgroup/cgroup.controllers') ? ['/sys/fs/cgroup'] : readdirSync('/sys/fs/cgroup').map((name) => `/sys/fs/cgroup/${name}`);
  for (const root of roots) {
    const parent = `${root}/${cgroupName}`;
    if (existsSync(parent)) found.push(...readdirSync(parent).filter((name) => instance.test(name)).map((name) => `${parent}/${name}`));
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (new RegExp(`/${cgroupName}/i${pid}-`).test(readFileSync(`/proc/${entry}/cgroup`, 'utf8'))) found.push(`process ${entry}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
