/**
 * The cluster as `npm run start:cluster` starts it: real nginx in front of 3 real runner
 * processes. A reader's cells meet across requests through the router, previews go through it,
 * killing one runner affects only its readers (a clear error body, no hang), and SIGTERM drains
 * one without cutting its run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, sleep, startInSession } from '../support.ts';
import { startCluster, type Cluster } from '../../../scripts/cluster.ts';
import { processLeftovers } from '../../../scripts/cluster-processes.ts';

const DIR = '/run/socket-workbook-cluster-test';
const CGROUP_PREFIX = 'socket-workbook-ctest';
let cluster: Cluster;
let base: string;
const pids: Array<{ name: string; pid: number }> = [];

beforeAll(async () => {
  Object.assign(process.env, { RUNNERS: '3', PORT: String(30_000 + Math.floor(Math.random() * 10_000)), CLUSTER_DIR: DIR, CLUSTER_CGROUP_PREFIX: CGROUP_PREFIX, CLUSTER_RESTART: '0', RUNNER_SPARE_SESSIONS: '1' });
  cluster = await startCluster();
  base = cluster.url;
  for (const [name, runner] of cluster.runners) pids.push({ name, pid: runner.child.pid! });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  for (const { name, pid } of pids) expect(processLeftovers(pid, `${DIR}/${name}`, `${CGROUP_PREFIX}-${name}`)).toEqual([]);
}, 120_000);

const runnerOf = (id: string) => id.slice(id.lastIndexOf('.') + 1);

async function newSession(): Promise<string> {
  const response = await api(base, 'POST', '/api/sessions');
  expect(response.status, await response.clone().text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  expect(response.headers.get('x-runner')).toBe(runnerOf(id));
  return id;
}

/** Starts a run in `session` through the router; the runner named in the session answers. */
async function startRun(session: string, body: object, ready?: (output: string) => boolean) {
  const started = await startInSession(base, session, body, ready);
  expect(started.runner).toBe(runnerOf(session));
  return started;
}

const SERVER = "import socket, threading, http.server\nclass P(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200); self.send_header('Content-Type', 'text/plain'); self.end_headers(); self.wfile.write(b'page of the reader')\nweb = http.server.HTTPServer(('127.0.0.1', 8000), P)\nthreading.Thread(target=web.serve_forever, daemon=True).start()\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 9000)); s.listen()\nprint('listening', flush=True)\nwhile True:\n    c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()";
const CLIENT = { language: 'python', stdin: '', code: "import socket\nwith socket.create_connection(('127.0.0.1', 9000)) as c:\n    c.sendall(b'ping'); print(c.recv(100).decode())" };

describe('through the router', () => {
  test('health answers from a runner and names it', async () => {
    const response = await api(base, 'GET', '/api/health');
    const body = (await response.json()) as { runner: string; previewOrigin: string };
    expect(['r0', 'r1', 'r2']).toContain(body.runner);
    expect(response.headers.get('x-runner')).toBe(body.runner);
    expect(body.previewOrigin).toBe(cluster.previewUrl);
  });

  test('new sessions spread over the runners; each session stays on its own', async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, newSession));
    expect(new Set(sessions.map(runnerOf)).size).toBeGreaterThanOrEqual(2);
    for (const session of sessions) expect((await api(base, 'DELETE', `/api/sessions/${session}`)).status).toBe(204);
  });

  test("a server in one cell and a client in the next meet; the server's preview comes through the router's preview origin", async () => {
    const session = await newSession();
    const server = await startRun(session, { language: 'python', code: SERVER, timeoutMs: 60_000 }, (output) => output.includes('listening'));
    for (let cell = 0; cell < 3; cell++) {
      const client = await startRun(session, CLIENT, () => true);
      expect((await client.done).stdout).toBe('PING\n');
    }
    const redirect = await fetch(`${base}/api/sessions/${session}/preview/8000/`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe(`${cluster.previewUrl}/api/sessions/${session}/preview/8000/`);
    const page = await fetch(redirect.headers.get('location')!);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-runner')).toBe(runnerOf(session));
    expect(await page.text()).toBe('page of the reader');
    await api(base, 'DELETE', `/api/sessions/${session}`);
    expect((await server.done).exit.reason).toBe('session-ended');
  });

  test('/metrics of one runner through the router', async () => {
    const response = await fetch(`${base}/runners/r1/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^workbook_sessions\{runner="r1"\} \d+$/m);
  });

  test('an id naming no runner of the cluster is a 404 with the error body', async () => {
    const response = await api(base, 'POST', '/api/sessions/sabc.r9/runs', CLIENT);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });
});

describe('runners leaving', () => {
  test('SIGTERM drains one runner: its run finishes, new sessions go to the others, it exits 0', async () => {
    const session = await newSession();
    const name = runnerOf(session);
    const run = await startRun(session, { language: 'python', stdin: '', code: "import time\nprint('working', flush=True)\ntime.sleep(3)\nprint('finished', flush=True)" }, (output) => output.includes('working'));
    const leaving = cluster.runners.get(name)!;
    leaving.child.kill('SIGTERM');
    await sleep(300);
    const others = await Promise.all(Array.from({ length: 4 }, newSession));
    expect(others.map(runnerOf)).not.toContain(name);
    const result = await run.done;
    expect(result.stdout).toBe('working\nfinished\n');
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(await leaving.exited).toBe(0);
    for (const other of others) await api(base, 'DELETE', `/api/sessions/${other}`);
  });

  test('killing a runner affects only its readers: they get a clear error body, others carry on', async () => {
    // Two sessions on two different runners still up.
    const sessions: string[] = [];
    while (new Set(sessions.map(runnerOf)).size < 2) sessions.push(await newSession());
    const victim = sessions[0];
    const survivor = sessions.find((session) => runnerOf(session) !== runnerOf(victim))!;
    const killed = cluster.runners.get(runnerOf(victim))!;
    killed.child.kill('SIGKILL');
    await killed.exited;
    const started = performance.now();
    const response = await api(base, 'POST', `/api/sessions/${victim}/runs`, CLIENT);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('runner-unavailable');
    expect(body.error.message).toMatch(/start a new one/);
    const other = await startRun(survivor, { language: 'python', stdin: '', code: 'print("still here")' }, () => true);
    expect((await other.done).stdout).toBe('still here\n');
    const fresh = await Promise.all(Array.from({ length: 3 }, newSession));
    expect(fresh.map(runnerOf)).not.toContain(runnerOf(victim));
    // The dead runner left its sessions' cgroups and mounts; its successor (same name) sweeps them.
    const name = runnerOf(victim);
    expect(processLeftovers(killed.child.pid!, `${DIR}/${name}`, `${CGROUP_PREFIX}-${name}`)).not.toEqual([]);
    const successor = await cluster.relaunch(name);
    pids.push({ name, pid: successor.child.pid! });
    expect(processLeftovers(killed.child.pid!, `${DIR}/${name}`, `${CGROUP_PREFIX}-${name}`)).toEqual([]);
    // The old session stays gone (a clear 404 from the new runner, not a hang).
    const gone = await api(base, 'POST', `/api/sessions/${victim}/runs`, CLIENT);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('x-runner')).toBe(name);
  });
});
