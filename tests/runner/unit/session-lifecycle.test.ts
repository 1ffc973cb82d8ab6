/**
 * Session and run lifecycle against the fake sandbox (sandbox/fake-backend.ts): fast, no root.
 * The same behaviours are checked against real bubblewrap in tests/runner/integration and
 * tests/runner/exploits; these pin down the sessions layer's own logic in milliseconds.
 */
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig, type RunnerConfigInput } from '../../../sandbox-runner/config.ts';
import { RunnerError } from '../../../sandbox-runner/errors.ts';
import type { ExitEvent, RunEvent } from '../../../sandbox-runner/protocol.ts';
import { FakeBackend } from '../../../sandbox-runner/sandbox/fake-backend.ts';
import { SessionManager, type StartRunRequest } from '../../../sandbox-runner/sessions/session-manager.ts';

const managers: SessionManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

function setUp(config: RunnerConfigInput = {}) {
  const backend = new FakeBackend();
  const manager = new SessionManager(loadConfig({ spareSessions: 0, spareSandboxesPerSession: 1, ...config }, {}), backend, pino({ level: 'silent' }));
  managers.push(manager);
  return { backend, manager };
}

/** Starts a run and collects its events; `accept` decides whether the sink takes more output. */
async function start(manager: SessionManager, request: Partial<StartRunRequest> & { code: string }, accept: (events: RunEvent[]) => boolean = () => true) {
  const events: RunEvent[] = [];
  const run = await manager.startRun({ language: 'python', ...request }, (event) => {
    events.push(event);
    return accept(events);
  });
  const finished = run.finished.then((exit) => (events.push(exit), exit));
  return { run, events, finished, stdout: () => events.flatMap((event) => (event.type === 'stdout' ? [event.data] : [])).join('') };
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);

describe('runs', () => {
  test('a run streams its output and ends with one exit event', async () => {
    const { manager } = setUp();
    const { finished, events, stdout } = await start(manager, { code: 'print:hello\n' });
    expect(await finished).toMatchObject({ type: 'exit', code: 0, signal: null, reason: 'exit' });
    expect(events[0]).toMatchObject({ type: 'start' });
    expect(stdout()).toBe('hello\n');
    expect(events.filter((event) => event.type === 'exit')).toHaveLength(1);
  });

  test('a program given stdin up front has a wall clock', async () => {
    const { manager } = setUp({ limits: { wallTimeMs: 100 } });
    const { finished } = await start(manager, { code: 'sleep-forever', stdin: '' });
    expect(await within(finished, 1_000, 'timeout')).toMatchObject({ reason: 'timeout', signal: 'SIGKILL' });
  });

  test('an interactive program is limited by idle time: input keeps it alive', async () => {
    const { manager } = setUp({ limits: { wallTimeMs: 150 } });
    const { run, finished, stdout } = await start(manager, { code: 'echo-lines' });
    for (let index = 0; index < 5; index++) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // 500 ms in all, idle at most 100
      expect(await run.writeStdin(`line ${index}\n`)).toBe(true);
    }
    const exit = await within(finished, 1_000, 'idle timeout');
    expect(exit.reason).toBe('timeout');
    expect(stdout()).toBe('got line 0\ngot line 1\ngot line 2\ngot line 3\ngot line 4\n');
    expect(exit.durationMs).toBeGreaterThan(500);
  });

  test('output beyond the limit ends the run with output-limit, cut at the limit', async () => {
    const { manager } = setUp({ limits: { maxOutputBytes: 5000 } });
    const { finished, stdout } = await start(manager, { code: 'flood' });
    expect(await within(finished, 2_000, 'output limit')).toMatchObject({ reason: 'output-limit' });
    expect(Buffer.byteLength(stdout())).toBe(5000);
  });

  test('Stop is Ctrl-C: the default handler ends the program with SIGINT', async () => {
    const { manager } = setUp();
    const { run, finished } = await start(manager, { code: 'sleep-forever' });
    run.stop('stopped', { graceful: true });
    expect(await finished).toMatchObject({ reason: 'stopped', signal: 'SIGINT', code: null });
  });

  test("Stop lets a program's own SIGINT handler finish and its output arrive", async () => {
    const { manager } = setUp();
    const { run, finished, stdout, events } = await start(manager, { code: 'graceful-server' });
    await within((async () => { while (!stdout().includes('listening')) await new Promise((r) => setTimeout(r, 5)); })(), 1_000, 'listening');
    run.stop('stopped', { graceful: true });
    expect(await finished).toMatchObject({ reason: 'stopped', code: 0, signal: null });
    expect(stdout()).toBe('listening\nbye\n');
    expect(events.at(-1)?.type).toBe('exit');
  });

  test('a program that ignores SIGINT is killed after the grace', async () => {
    const { manager } = setUp({ limits: { stopGraceMs: 100 } });
    const { run, finished } = await start(manager, { code: 'ignore-sigint' });
    const stoppedAt = performance.now();
    run.stop('stopped', { graceful: true });
    expect(await within(finished, 1_000, 'kill after grace')).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(95);
  });

  test('a stalled reader: output paused, then the reader leaves; the run ends and frees its slot', async () => {
    const { manager, backend } = setUp({ limits: { maxRunsTotal: 1 } });
    const { run, finished } = await start(manager, { code: 'flood' }, (events) => events.length < 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    run.stop('stopped');
    expect(await within(finished, 1_000, 'the stalled run ending')).toMatchObject({ reason: 'stopped' });
    await run.cleanedUp;
    expect(manager.runCount).toBe(0);
    const next = await start(manager, { code: 'print:next' });
    expect((await next.finished).reason).toBe('exit');
    await next.run.cleanedUp;
    expect(backend.liveRunCount).toBe(0);
  });
});

describe('sessions', () => {
  test('ending a session ends its runs (even one whose reader stalled) and removes everything', async () => {
    const { manager, backend } = setUp();
    const session = await manager.createSession();
    const stalled = await start(manager, { code: 'flood', session: session.id }, () => false);
    const server = await start(manager, { code: 'sleep-forever', session: session.id });
    await within(manager.endSession(session.id), 1_000, 'DELETE of the session');
    expect((await stalled.finished).reason).toBe('session-ended');
    expect((await server.finished).reason).toBe('session-ended');
    // The DELETE answered before the teardown; the teardown follows in the background.
    await within((async () => { while (backend.liveSessions.size) await new Promise((r) => setTimeout(r, 5)); })(), 1_000, 'the session removed');
    await expect(manager.startRun({ language: 'python', code: 'print:x', session: session.id }, () => true)).rejects.toMatchObject({ status: 404 });
  });

  test('a run without a session gets one that ends with it', async () => {
    const { manager, backend } = setUp();
    const { finished, run } = await start(manager, { code: 'print:alone' });
    await finished;
    await run.cleanedUp;
    await within((async () => { while (backend.liveSessions.size) await new Promise((r) => setTimeout(r, 5)); })(), 1_000, 'the ephemeral session ending');
    expect(manager.sessionCount).toBe(0);
  });

  test('an idle session expires; one with a running program does not until its lifetime', async () => {
    const { manager } = setUp({ limits: { sessionIdleMs: 100, sessionLifetimeMs: 400 } });
    const idle = await manager.createSession();
    const busy = await manager.createSession();
    const server = await start(manager, { code: 'sleep-forever', session: busy.id, timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(() => manager.getSession(idle.id)).toThrow(RunnerError);
    expect(manager.getSession(busy.id).id).toBe(busy.id);
    expect((await within(server.finished, 1_500, 'lifetime')).reason).toBe('session-ended');
  });

  test('a spare session ages from when a reader gets it, not from its preparation', async () => {
    const { manager } = setUp({ spareSessions: 1, limits: { sessionLifetimeMs: 200, sessionIdleMs: 200 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const session = await manager.createSession();
    // Runs past the sweeper's next look (every 50 ms here) and ends by its own timeout, inside
    // the 200 ms lifetime counted from the hand-out.
    const { finished } = await start(manager, { code: 'sleep-forever', session: session.id, timeoutMs: 120 });
    expect((await finished).reason).toBe('timeout');
  });
});

describe('busy answers (429)', () => {
  test('runs beyond the per-session limit', async () => {
    const { manager } = setUp({ limits: { maxRunsPerSession: 2 } });
    const session = await manager.createSession();
    await start(manager, { code: 'sleep-forever', session: session.id });
    await start(manager, { code: 'sleep-forever', session: session.id });
    await expect(start(manager, { code: 'print:x', session: session.id })).rejects.toMatchObject({ status: 429, code: 'busy' });
  });

  test('runs beyond the runner limit, counted before any await (a burst cannot slip past)', async () => {
    const { manager } = setUp({ limits: { maxRunsTotal: 3 } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => start(manager, { code: 'sleep-forever' })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ status: 429 });
  });

  test('sessions beyond the limit', async () => {
    const { manager } = setUp({ limits: { maxSessions: 2 } });
    await manager.createSession();
    await manager.createSession();
    await expect(manager.createSession()).rejects.toMatchObject({ status: 429 });
  });
});

test('the exit event type is the one the protocol defines', async () => {
  const { manager } = setUp();
  const { finished } = await start(manager, { code: 'print:typed' });
  const exit: ExitEvent = await finished;
  expect(Object.keys(exit).sort()).toEqual(['code', 'durationMs', 'reason', 'signal', 'type']);
});
