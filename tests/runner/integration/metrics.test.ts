/**
 * `GET /metrics` over real HTTP against a real runner: Prometheus text that moves with what the
 * runner does (sessions, runs by language and reason, latency, 429s by cause, session memory).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { api, createSession, expectAllClean, run, startBackground, startTestRunner } from '../support.ts';

let runner: RunningServer;
let base: string;

beforeAll(async () => {
  runner = await startTestRunner({ runnerName: 'm0', limits: { maxRunsPerSession: 1 } });
  base = runner.url;
});
afterAll(async () => {
  await runner.close();
  await expectAllClean();
});

/** The value of one sample (`name{labels}`, labels in any order), or undefined when absent. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const response = await api(base, 'GET', '/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(response.headers.get('x-runner')).toBe('m0');
  const wanted = Object.entries({ ...labels, runner: 'm0' });
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1], label[2]]));
    if (wanted.every(([key, value]) => present[key] === value) && Object.keys(present).length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  test('counts runs by language and reason, with their latency', async () => {
    expect(await sample('workbook_runs_total', { language: 'python', reason: 'exit' })).toBeUndefined();
    await run(base, { language: 'python', code: 'print(1)', stdin: '' });
    await run(base, { language: 'python', code: 'print(2)', stdin: '' });
    await run(base, { language: 'javascript', code: 'process.exit(4)', stdin: '' });
    await run(base, { language: 'python', code: 'import time\ntime.sleep(5)', stdin: '', timeoutMs: 300 });
    expect(await sample('workbook_runs_total', { language: 'python', reason: 'exit' })).toBe(2);
    expect(await sample('workbook_runs_total', { language: 'javascript', reason: 'exit' })).toBe(1);
    expect(await sample('workbook_runs_total', { language: 'python', reason: 'timeout' })).toBe(1);
    expect(await sample('workbook_run_start_seconds_count', { language: 'python' })).toBe(3);
    expect(await sample('workbook_run_duration_seconds_bucket', { language: 'python', le: '+Inf' })).toBe(3);
    expect(await sample('workbook_sandbox_failures_total', { stage: 'run' })).toBeUndefined();
  });

  test('sessions, active runs, session memory, and 429s by cause', async () => {
    const before = (await sample('workbook_sessions')) ?? 0;
    const session = await createSession(base);
    const server = await startBackground(base, { language: 'python', code: "import socket, time\ns = socket.socket(); s.bind(('127.0.0.1', 8000)); s.listen()\nblob = bytearray(64 * 1024 * 1024)\nprint('up', flush=True)\ns.accept()", session, timeoutMs: 60_000 }, (output) => output.includes('up'));
    expect(await sample('workbook_sessions')).toBe(before + 1);
    expect(await sample('workbook_runs_active')).toBe(1);
    expect(await sample('workbook_sessions_memory_bytes')).toBeGreaterThan(64 * 1024 * 1024);
    // A second run in the session is over its limit of one.
    const refused = await api(base, 'POST', `/api/sessions/${session}/runs`, { language: 'python', code: 'print(1)' });
    expect(refused.status).toBe(429);
    expect(await sample('workbook_busy_total', { cause: 'session-runs' })).toBe(1);
    expect(await sample('workbook_draining')).toBe(0);
    expect(await sample('workbook_process_resident_memory_bytes')).toBeGreaterThan(0);
    server.abort();
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
});
