/** Sessions end on idle and on lifetime, and everything in them is killed. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { allowanceMs, api, createSession, expectAllClean, expectSessionGone, run, sleep, startBackground, startTestRunner } from '../support.ts';

let runner: RunningServer;
let base: string;

beforeAll(async () => {
  runner = await startTestRunner({ spareSessions: 0, limits: { sessionIdleMs: allowanceMs(400), sessionLifetimeMs: allowanceMs(2_500) } });
  base = runner.url;
});
afterAll(async () => {
  await runner.close();
  await expectAllClean();
});

test('an idle session ends', async () => {
  const session = await createSession(base);
  await run(base, { language: 'python', code: 'print(1)', session });
  await sleep(allowanceMs(1_000));
  expect((await api(base, 'POST', '/api/run', { language: 'python', code: 'print(1)', session })).status).toBe(404);
  await expectSessionGone(session);
});

test('a session with a running server is not idle, but its lifetime ends it and the server', async () => {
  const session = await createSession(base);
  const server = await startBackground(base, { language: 'python', code: "import time\nprint('up')\ntime.sleep(60)", session, timeoutMs: 60_000 }, (out) => out.includes('up'));
  await sleep(allowanceMs(800));
  expect((await run(base, { language: 'python', code: 'print(2)', session })).stdout).toBe('2\n');
  const result = await server.done;
  expect(result.exit.reason).toBe('session-ended');
  await expectSessionGone(session);
});
