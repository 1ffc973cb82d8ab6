/**
 * What a router needs from a runner, over real HTTP against a real runner: ids that name the
 * runner, session-scoped paths (routable without reading bodies), `X-Runner` on every answer,
 * readiness and liveness.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { api, createSession, expectAllClean, startInSession as startInSessionOf, startTestRunner } from '../support.ts';

const NAME = 'r7';
let runner: RunningServer;
let base: string;

beforeAll(async () => {
  runner = await startTestRunner({ runnerName: NAME });
  base = runner.url;
});
afterAll(async () => {
  await runner.close();
  await expectAllClean();
});

async function startInSession(session: string, body: object, ready?: (output: string) => boolean) {
  const started = await startInSessionOf(base, session, body, ready);
  expect(started.runner).toBe(NAME);
  return started;
}

describe('naming the runner', () => {
  test('health says which runner answered, and so does its X-Runner header', async () => {
    const response = await api(base, 'GET', '/api/health');
    expect(response.headers.get('x-runner')).toBe(NAME);
    expect(await response.json()).toMatchObject({ ok: true, runner: NAME });
  });

  test('errors, redirects and preview answers carry X-Runner too', async () => {
    const notFound = await api(base, 'GET', '/api/nothing-here');
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-runner')).toBe(NAME);
    const wrongMethod = await api(base, 'GET', '/api/sessions');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('x-runner')).toBe(NAME);
    const session = await createSession(base);
    const redirect = await fetch(`${base}/api/sessions/${session}/preview/8000/`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('x-runner')).toBe(NAME);
    const preview = await fetch(`${runner.previewUrl}/api/sessions/${session}/preview/8000/`);
    expect(preview.status).toBe(502);
    expect(preview.headers.get('x-runner')).toBe(NAME);
    const gone = await fetch(`${runner.previewUrl}/nothing`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('x-runner')).toBe(NAME);
  });

  test('session and run ids end with the runner name', async () => {
    const session = await createSession(base);
    expect(session).toMatch(new RegExp(`^s[^.]+\\.${NAME}$`));
    const { start, done } = await startInSession(session, { language: 'python', code: 'print("hi")', stdin: '' }, () => true);
    expect(start).toEqual({ type: 'start', session, run: expect.stringMatching(new RegExp(`^r[^.]+\\.${NAME}$`)) });
    expect((await done).stdout).toBe('hi\n');
  });
});

describe('readiness and liveness', () => {
  test('ready and live answer 200 with the runner name', async () => {
    const ready = await api(base, 'GET', '/api/ready');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-runner')).toBe(NAME);
    expect(await ready.json()).toEqual({ ready: true, runner: NAME });
    const live = await api(base, 'GET', '/api/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true, runner: NAME });
    expect((await api(base, 'POST', '/api/ready')).status).toBe(405);
  });
});

describe('session-scoped paths', () => {
  test('a server in one cell and a client in the next meet in the session named by the path', async () => {
    const session = await createSession(base);
    const server = await startInSession(
      session,
      { language: 'python', code: "import socket\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', 7000)); s.listen()\nprint('listening', flush=True)\nc, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()", timeoutMs: 30_000 },
      (output) => output.includes('listening'),
    );
    expect(server.start.session).toBe(session);
    const client = await startInSession(session, { language: 'javascript', code: "import net from 'node:net';\nconst c = net.connect(7000, '127.0.0.1', () => c.write('ping'));\nc.on('data', (d) => { console.log(String(d)); c.end(); });", stdin: '' }, () => true);
    expect((await client.done).stdout).toBe('PING\n');
    expect((await server.done).exit).toMatchObject({ reason: 'exit', code: 0 });
  });

  test('a body whose session differs from the path is a 400 that says so', async () => {
    const session = await createSession(base);
    const other = await createSession(base);
    const response = await api(base, 'POST', `/api/sessions/${session}/runs`, { language: 'python', code: 'print(1)', session: other });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-runner')).toBe(NAME);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad-request');
    expect(body.error.message).toContain(other);
    expect(body.error.message).toContain(session);
    // The same session in both is fine.
    const same = await api(base, 'POST', `/api/sessions/${session}/runs`, { language: 'python', code: 'print(2)', session, stdin: '' });
    expect(same.status).toBe(200);
    await same.text();
  });

  test('an unknown session in the path is a 404', async () => {
    const response = await api(base, 'POST', `/api/sessions/snope.${NAME}/runs`, { language: 'python', code: 'print(1)' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });

  test('an id with bad percent-encoding is a 400 that says so, on every session path (it was a 500)', async () => {
    for (const [method, path] of [['DELETE', '/api/sessions/%E0%A4%A'], ['POST', '/api/sessions/%zz/runs'], ['GET', '/api/sessions/%zz/wire'], ['GET', '/api/sessions/%zz/sockets'], ['DELETE', '/api/runs/%zz']] as const) {
      const response = await api(base, method, path, method === 'POST' ? { language: 'python', code: 'print(1)' } : undefined);
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/not valid percent-encoding/);
    }
    expect((await api(base, 'GET', '/api/health')).status).toBe(200);
  });

  test('stdin and stop on the session-scoped run paths; a run is not found under another session', async () => {
    const session = await createSession(base);
    const other = await createSession(base);
    const reader = await startInSession(session, { language: 'python', code: "print('ready', flush=True)\nprint('got', input(), flush=True)\nimport time\ntime.sleep(60)" }, (output) => output.includes('ready'));
    const run = reader.start.run;
    const elsewhere = await api(base, 'POST', `/api/sessions/${other}/runs/${run}/stdin`, { data: 'x\n' });
    expect(elsewhere.status).toBe(404);
    expect((await api(base, 'DELETE', `/api/sessions/${other}/runs/${run}`)).status).toBe(404);
    expect((await api(base, 'POST', `/api/sessions/${session}/runs/${run}/stdin`, { data: 'hello\n' })).status).toBe(204);
    await reader.waitFor((output) => output.includes('got hello'));
    expect((await api(base, 'DELETE', `/api/sessions/${session}/runs/${run}`)).status).toBe(204);
    const result = await reader.done;
    expect(result.stdout).toContain('got hello');
    expect(result.exit.reason).toBe('stopped');
  });
});
