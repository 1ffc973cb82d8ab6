/**
 * Each limit of the design, proved on a cgroup-v2-only kernel: `npm run test:cgroup2` boots
 * Debian's kernel in qemu with `cgroup_no_v1=all` (scripts/cgroup2-vm/run.sh) and runs this file
 * there against the real runner. Node is 30-40x slower in the VM, so each test is one cheap
 * proof. The first test makes sure the file can never pass on a v1 host by accident.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningServer } from '../../sandbox-runner/server.ts';
import { api, createSession, expectAllClean, expectSessionGone, run, startBackground, startTestRunner } from '../runner/support.ts';

const MiB = 1024 * 1024;
// Low enough that a bomb meets the limit quickly, high enough for a classic threaded server with
// 300 clients (threads count as tasks).
const MAX_TASKS = 400;
const MEMORY_BYTES = 256 * MiB;

let runner: RunningServer;
let base: string;

beforeAll(async () => {
  // Wall time for the VM's speed: a Python start there takes seconds, more when the host is busy.
  runner = await startTestRunner({ limits: { memoryBytes: MEMORY_BYTES, maxProcesses: MAX_TASKS, wallTimeMs: 60_000 } });
  base = runner.url;
});
afterAll(async () => {
  await runner?.close();
  if (runner) await expectAllClean();
});

test('this machine is cgroup v2 only (the suite runs in the VM, never on a v1 host)', () => {
  expect(existsSync('/sys/fs/cgroup/cgroup.controllers'), '/sys/fs/cgroup is not a cgroup2 mount: run `npm run test:cgroup2`').toBe(true);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' '));
  expect(mounts.filter(([, , type]) => type === 'cgroup').map(([, where]) => where), 'cgroup v1 hierarchies are mounted').toEqual([]);
  expect(mounts.find(([, where]) => where === '/sys/fs/cgroup')?.[2]).toBe('cgroup2');
  const controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(' ');
  expect(controllers).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu']));
});

test('/api/health says the runner uses cgroup v2', async () => {
  const response = await api(base, 'GET', '/api/health');
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ ok: true, cgroup: 'v2' });
});

test('a Python print runs', async () => {
  const result = await run(base, { language: 'python', code: 'print("hello from v2")' });
  expect(result.stdout).toBe('hello from v2\n');
  expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
});

test('a memory hog ends with memory-limit', async () => {
  const result = await run(base, { language: 'python', code: 'blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))', timeoutMs: 60_000 });
  expect(result.exit).toMatchObject({ reason: 'memory-limit', code: null, signal: 'SIGKILL' });
  await expectSessionGone(result.sessionId);
});

test('a fork bomb is stopped by the task limit, and the session\'s next run works', async () => {
  const session = await createSession(base);
  // 400 sleeping Python children take ~130 MB (measured in the VM), so the task limit and not
  // the memory limit stops the bomb; exec'ing a program in each would take 7x longer there.
  const bomb = "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(600)\n        n += 1\nexcept OSError as e:\n    print(type(e).__name__, n)";
  const result = await run(base, { language: 'python', code: bomb, session, timeoutMs: 120_000 });
  expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
  const [error, forks] = result.stdout.trim().split(' ');
  expect(error).toBe('BlockingIOError');
  // The sandbox's own processes and the bomb's parent take a few of the tasks.
  expect(Number(forks)).toBeGreaterThan(MAX_TASKS - 20);
  expect(Number(forks)).toBeLessThan(MAX_TASKS);
  const next = await run(base, { language: 'python', code: 'print("next run")', session });
  expect(next.stdout).toBe('next run\n');
  await api(base, 'DELETE', `/api/sessions/${session}`);
  await expectSessionGone(session);
});

test('an infinite loop ends with timeout and leaves no process or cgroup', async () => {
  const result = await run(base, { language: 'python', code: 'import os\nif os.fork() == 0:\n    while True: pass\nwhile True: pass', timeoutMs: 3_000 });
  expect(result.exit.reason).toBe('timeout');
  await expectSessionGone(result.sessionId, 30_000);
});

test('a thread-per-connection server serves 300 concurrent clients', async () => {
  const session = await createSession(base);
  const server = `import socket, threading
def serve(conn):
    with conn:
        conn.recv(16)
        conn.sendall(str(threading.active_count()).encode())
        conn.recv(16)  # keep the thread until the client closes
listener = socket.create_server(('127.0.0.1', 9300), backlog=512)
print('listening', flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()`;
  const background = await startBackground(base, { language: 'python', code: server, session, timeoutMs: 180_000 }, (output) => output.includes('listening'), 120_000);
  // Every client stays connected until all have been answered: 300 threads at once.
  const clients = `import socket
clients = [socket.create_connection(('127.0.0.1', 9300)) for _ in range(300)]
for c in clients: c.sendall(b'hi')
counts = [int(c.recv(16)) for c in clients]
print(len(counts), max(counts) > 300)
for c in clients: c.close()`;
  const result = await run(base, { language: 'python', code: clients, session, timeoutMs: 120_000 });
  expect(result.stderr).toBe('');
  expect(result.stdout).toBe('300 True\n');
  background.abort();
  await api(base, 'DELETE', `/api/sessions/${session}`);
  await expectSessionGone(session, 30_000);
});

test('two sessions cannot see each other\'s files', async () => {
  const a = await createSession(base);
  const b = await createSession(base);
  await run(base, { language: 'python', code: "open('private.txt', 'w').write('mine')", session: a });
  const mine = await run(base, { language: 'python', code: "print(open('private.txt').read())", session: a });
  expect(mine.stdout).toBe('mine\n');
  const other = await run(base, { language: 'python', code: "import os\nprint(os.listdir('.'), os.path.exists('/home/reader/private.txt'))", session: b });
  expect(other.stdout).toBe('[] False\n');
  await api(base, 'DELETE', `/api/sessions/${a}`);
  await api(base, 'DELETE', `/api/sessions/${b}`);
});
