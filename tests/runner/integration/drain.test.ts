/**
 * SIGTERM drains: the real runner as a child process gets SIGTERM while a run streams; new work
 * is refused (readiness 503, new sessions 503 `draining`), the run gets its exit event, the
 * process exits 0 and leaves nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { allowanceMs, api, createSession, readEvents, sleep, summarize } from '../support.ts';
import { processLeftovers, startRunnerProcess, type RunnerProcess } from '../../../scripts/cluster-processes.ts';
import type { RunEvent } from '../../../sandbox-runner/protocol.ts';

const STATE_DIR = '/run/socket-workbook-test';
const CGROUP = 'socket-workbook-drain';
let runner: RunnerProcess | undefined;

afterEach(() => {
  if (runner?.child.exitCode === null) runner.child.kill('SIGKILL');
});

async function start(drainMs: number): Promise<RunnerProcess> {
  runner = await startRunnerProcess({ RUNNER_NAME: 'd0', RUNNER_DRAIN_MS: String(drainMs), RUNNER_STATE_DIR: STATE_DIR, RUNNER_CGROUP_NAME: CGROUP, RUNNER_SPARE_SESSIONS: '1' });
  return runner;
}

/** Starts a run in a new session and waits for its first output line. */
async function streaming(base: string, code: string) {
  const session = await createSession(base);
  const response = await api(base, 'POST', `/api/sessions/${session}/runs`, { language: 'python', code, stdin: '', timeoutMs: 120_000 });
  expect(response.status).toBe(200);
  const events: RunEvent[] = [];
  const done = (async () => {
    for await (const event of readEvents(response)) events.push(event);
    return summarize(events);
  })();
  done.catch(() => {});
  while (!events.some((event) => event.type === 'stdout')) {
    if (events.at(-1)?.type === 'exit') throw new Error(`ended early: ${JSON.stringify(events)}`);
    await sleep(20);
  }
  return { session, done };
}

describe('SIGTERM', () => {
  test('a live run finishes within the grace, new work is refused meanwhile, the runner exits 0 and leaves nothing', async () => {
    const { url, child, exited } = await start(60_000);
    const run = await streaming(url, "import time\nprint('working', flush=True)\ntime.sleep(3)\nprint('finished', flush=True)");
    child.kill('SIGTERM');
    // Readiness fails and new work is refused while the run goes on.
    let ready = await api(url, 'GET', '/api/ready');
    for (let tries = 0; ready.status !== 503 && tries < 100; tries++) {
      await sleep(20);
      ready = await api(url, 'GET', '/api/ready');
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, runner: 'd0', reason: expect.stringContaining('draining') });
    const refused = await api(url, 'POST', '/api/sessions');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('x-runner')).toBe('d0');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('draining');
    expect(body.error.message).toMatch(/shutting down/);
    const result = await run.done;
    expect(result.stdout).toBe('working\nfinished\n');
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(await exited).toBe(0);
    expect(processLeftovers(child.pid!, STATE_DIR, CGROUP)).toEqual([]);
  });

  test('a run still going when the grace ends gets an exit event with reason session-ended', async () => {
    const { url, child, exited } = await start(1_000);
    const run = await streaming(url, "import time\nprint('serving', flush=True)\ntime.sleep(100)");
    child.kill('SIGTERM');
    const result = await run.done;
    expect(result.stdout).toBe('serving\n');
    expect(result.exit.reason).toBe('session-ended');
    expect(await exited).toBe(0);
    expect(processLeftovers(child.pid!, STATE_DIR, CGROUP)).toEqual([]);
  });

  test('SIGTERM to `npm run serve`, as a process manager stops it, reaches the runner: it drains and exits 0', async () => {
    // npm passes the signal to its child only, the shell that runs the script: unless the shell
    // execs node, the runner never hears it and lives on as an orphan.
    const npm = spawn('npm', ['run', '--silent', 'serve'], {
      cwd: resolve(import.meta.dirname, '../../..'),
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', RUNNER_NAME: 'd1', RUNNER_STATE_DIR: STATE_DIR, RUNNER_CGROUP_NAME: CGROUP, RUNNER_SPARE_SESSIONS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk) => (output += chunk));
    npm.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | string>((resolve) => npm.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    let runnerPid: number | undefined;
    try {
      const deadline = Date.now() + allowanceMs(30_000);
      while (!/Socket Workbook: http/.test(output)) {
        if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm run serve did not start: ${output}`);
        await sleep(50);
      }
      runnerPid = readFileSync(`/proc/${npm.pid}/task/${npm.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
        .find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sandbox-runner/main.ts'));
      expect(runnerPid, `the runner under npm: ${output}`).toBeDefined();
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM: draining');
      expect(existsSync(`/proc/${runnerPid}`), 'the runner is still running after npm exited').toBe(false);
      expect(processLeftovers(runnerPid!, STATE_DIR, CGROUP)).toEqual([]);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      // An orphaned runner (the failure this test looks for) is stopped the way it should have been.
      if (runnerPid && existsSync(`/proc/${runnerPid}`)) process.kill(runnerPid, 'SIGTERM');
    }
  });

  test("SIGTERM to the runner's whole process group (kill -TERM -<pgid>) still drains: a live run finishes", async () => {
    const child = spawn(process.execPath, ['sandbox-runner/main.ts'], {
      cwd: resolve(import.meta.dirname, '../../..'),
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', RUNNER_NAME: 'd2', RUNNER_STATE_DIR: STATE_DIR, RUNNER_CGROUP_NAME: CGROUP, RUNNER_SPARE_SESSIONS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    try {
      const deadline = Date.now() + allowanceMs(30_000);
      let url: string | undefined;
      while (!(url = /Socket Workbook: (http:\/\/\S+)/.exec(output)?.[1])) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the runner did not start: ${output}`);
        await sleep(50);
      }
      const run = await streaming(url, "import time\nprint('working', flush=True)\ntime.sleep(3)\nprint('finished', flush=True)");
      // The whole group: the runner, its spawner and its capture helper (sandboxes have sessions of their own).
      process.kill(-child.pid!, 'SIGTERM');
      const result = await run.done;
      expect(result.stdout).toBe('working\nfinished\n');
      expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
      expect(await exited).toBe(0);
      expect(output).not.toMatch(/capture helper exited/);
      expect(processLeftovers(child.pid!, STATE_DIR, CGROUP)).toEqual([]);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
