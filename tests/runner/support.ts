/**
 * Shared helpers for the runner's integration and exploit suites: a real runner (real
 * bubblewrap, real cgroups) on a random loopback port, a client for the v1 API, and checks that
 * nothing was left behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { startServer, type RunningServer } from '../../sandbox-runner/server.ts';
import type { RunnerConfigInput } from '../../sandbox-runner/config.ts';
import type { InstanceLayout } from '../../sandbox-runner/sandbox/bubblewrap-backend.ts';
import type { ExitEvent, RunEvent, RunRequest } from '../../sandbox-runner/protocol.ts';
import { runEvents } from '../../sandbox-runner/ndjson.ts';
import { allowanceMs } from '../time-allowance.ts';

export { allowanceMs, SLOWDOWN } from '../time-allowance.ts';

export const TEST_STATE_DIR = '/run/socket-workbook-test';
export const TEST_CGROUP = 'socket-workbook-test';

/** The instance the current test file started (each file runs in its own worker). */
let layout: InstanceLayout | undefined;

/** A runner with its own state directory and cgroup, so tests never touch a live one. */
export async function startTestRunner(config: RunnerConfigInput = {}): Promise<RunningServer> {
  const running = await startServer({
    port: 0,
    staticDir: null,
    config: { stateDir: TEST_STATE_DIR, cgroupName: TEST_CGROUP, firstSessionUid: 300_000, logLevel: 'silent', spareSessions: 1, ...config },
  });
  if (!running.runner?.layout) throw new Error(`the test runner has no sandbox: ${running.runner?.unavailableReason}`);
  layout = running.runner.layout;
  return running;
}

function current(): InstanceLayout {
  if (!layout) throw new Error('startTestRunner() first');
  return layout;
}

export interface RunResult {
  events: RunEvent[];
  stdout: string;
  stderr: string;
  /** stdout and stderr in arrival order. */
  output: string;
  exit: ExitEvent;
  runId: string;
  sessionId: string;
}

export async function api(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function createSession(base: string): Promise<string> {
  const response = await api(base, 'POST', '/api/sessions');
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

/** Reads an NDJSON run stream event by event. */
export function readEvents(response: Response): AsyncGenerator<RunEvent> {
  return runEvents(response.body!);
}

/** Runs code to completion and collects its events. */
export async function run(base: string, request: RunRequest, onEvent?: (event: RunEvent) => void | Promise<void>): Promise<RunResult> {
  const response = await api(base, 'POST', '/api/run', request);
  if (response.status !== 200) throw new Error(`run answered ${response.status}: ${await response.text()}`);
  expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  const events: RunEvent[] = [];
  for await (const event of readEvents(response)) {
    events.push(event);
    await onEvent?.(event);
  }
  return summarize(events);
}

export function summarize(events: RunEvent[]): RunResult {
  const start = events[0];
  const exit = events.at(-1);
  if (start?.type !== 'start') throw new Error(`first event is not start: ${JSON.stringify(start)}`);
  if (exit?.type !== 'exit') throw new Error(`last event is not exit: ${JSON.stringify(events.slice(-3))}`);
  let stdout = '';
  let stderr = '';
  let output = '';
  for (const event of events) {
    if (event.type === 'stdout') stdout += event.data;
    if (event.type === 'stderr') stderr += event.data;
    if (event.type === 'stdout' || event.type === 'stderr') output += event.data;
  }
  return { events, stdout, stderr, output, exit, runId: start.run, sessionId: start.session };
}

/** Starts a run and returns as soon as the predicate holds on its output (e.g. a server is up). */
export async function startBackground(base: string, request: RunRequest, ready: (output: string) => boolean, timeoutMs = 10_000) {
  const controller = new AbortController();
  const response = await fetch(base + '/api/run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), signal: controller.signal });
  expect(response.status).toBe(200);
  const events: RunEvent[] = [];
  const iterator = readEvents(response);
  let output = '';
  const deadline = Date.now() + timeoutMs;
  const done = (async () => {
    for await (const event of iterator) {
      events.push(event);
      if (event.type === 'stdout' || event.type === 'stderr') output += event.data;
    }
    return summarize(events);
  })();
  done.catch(() => {});
  while (!ready(output)) {
    if (Date.now() > deadline) throw new Error(`background run not ready in ${timeoutMs} ms; output so far: ${JSON.stringify(output)}; events: ${JSON.stringify(events)}`);
    if (events.at(-1)?.type === 'exit') throw new Error(`background run ended before it was ready: ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const start = events[0] as Extract<RunEvent, { type: 'start' }>;
  return { runId: start.run, sessionId: start.session, done, abort: () => controller.abort(), output: () => output };
}

/**
 * Starts a run on a session-scoped path (`POST /api/sessions/:id/runs`) and resolves once
 * `ready` holds on its output; `waitFor` waits for more, `done` for the end.
 */
export async function startInSession(base: string, session: string, body: object, ready: (output: string) => boolean = () => true) {
  const response = await api(base, 'POST', `/api/sessions/${session}/runs`, body);
  if (response.status !== 200) throw new Error(`run answered ${response.status}: ${await response.text()}`);
  const events: RunEvent[] = [];
  let output = '';
  const done = (async () => {
    for await (const event of readEvents(response)) {
      events.push(event);
      if (event.type === 'stdout' || event.type === 'stderr') output += event.data;
    }
    return summarize(events);
  })();
  done.catch(() => {});
  const waitFor = async (holds: (output: string) => boolean) => {
    while (!holds(output)) {
      if (events.at(-1)?.type === 'exit') throw new Error(`run ended first: ${JSON.stringify(events)}`);
      await sleep(10);
    }
  };
  await waitFor((text) => events.length > 0 && ready(text));
  const start = events[0] as Extract<RunEvent, { type: 'start' }>;
  return { start, done, waitFor, runner: response.headers.get('x-runner') };
}

/** /api/health answers 200 within the given time (on a host; `allowanceMs` of it in the VM). */
export async function expectHealthyWithin(base: string, hostMs: number): Promise<void> {
  const ms = allowanceMs(hostMs);
  const started = performance.now();
  const response = await fetch(base + '/api/health', { signal: AbortSignal.timeout(ms * 4) });
  const elapsed = performance.now() - started;
  expect(response.status).toBe(200);
  expect(elapsed, `health took ${elapsed.toFixed(0)} ms`).toBeLessThan(ms);
}

/** This instance's cgroups and directory, if anything of them still exists (v1 or v2). */
export function leftovers(): { cgroups: string[]; dirs: string[] } {
  const { cgroupDirs, dir } = current();
  const cgroups = cgroupDirs.filter((path) => existsSync(path));
  return { cgroups, dirs: existsSync(dir) ? [dir] : [] };
}

/** Processes running as one of this instance's session uids. */
export function sandboxProcesses(): string[] {
  const { firstUid, lastUid } = current();
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      // A zombie has ended; reaping it is the container init's job, not the runner's.
      if (/^State:\s+Z/m.test(status)) continue;
      if (uid >= firstUid && uid <= lastUid) found.push(`${pid} uid=${uid} ${/^Name:\s+(.*)$/m.exec(status)?.[1]}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function processesInCgroup(name: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${name}`)) found.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Kills a session's sandbox (its init and zygote) from the host, as a crash would. */
export function killSessionSandbox(sessionId: string): number {
  const procs = current().cgroupDirs.map((dir) => `${dir}/${sessionId}/zygote/cgroup.procs`).find((path) => existsSync(path));
  if (!procs) throw new Error(`session ${sessionId} has no zygote cgroup`);
  const pids = readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // gone with the first
    }
  }
  return pids.length;
}

/** Waits until a session has left nothing: no process, no cgroup, no directory. */
export async function expectSessionGone(sessionId: string, timeoutMs = allowanceMs(5_000)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cgroups = current().cgroupDirs.filter((path) => existsSync(`${path}/${sessionId}`));
    const dir = existsSync(`${current().dir}/sessions/${sessionId}`);
    const processes = processesInCgroup(sessionId);
    if (!cgroups.length && !dir && !processes.length) return;
    if (Date.now() > deadline) throw new Error(`session ${sessionId} left behind: cgroups ${cgroups}, dir ${dir}, processes ${processes}`);
    await sleep(50);
  }
}

/** After runner.close(): nothing of any session remains (processes get a moment to die). */
export async function expectAllClean(): Promise<void> {
  expect(leftovers()).toEqual({ cgroups: [], dirs: [] });
  const deadline = Date.now() + allowanceMs(3_000);
  while (sandboxProcesses().length && Date.now() < deadline) await sleep(50);
  expect(sandboxProcesses()).toEqual([]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
