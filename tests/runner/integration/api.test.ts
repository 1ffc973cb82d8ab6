/**
 * The v1 HTTP API over real HTTP against a real runner: every route, every language, sockets in
 * one cell and across cells, stdin, preview, stop and disconnect.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { api, createSession, expectAllClean, expectSessionGone, readEvents, run, startBackground, startTestRunner, summarize } from '../support.ts';
import type { RunEvent } from '../../../sandbox-runner/protocol.ts';

let runner: RunningServer;
let base: string;

beforeAll(async () => {
  runner = await startTestRunner();
  base = runner.url;
});
afterAll(async () => {
  await runner.close();
  await expectAllClean();
});

describe('health', () => {
  test('reports languages and the sandbox', async () => {
    const response = await api(base, 'GET', '/api/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, runner: 'local', languages: ['python', 'javascript', 'typescript'], sandbox: 'bubblewrap', cgroup: expect.stringMatching(/^v[12]$/), previewOrigin: runner.previewUrl });
  });
});

describe.each([
  ['python', 'import sys\nprint("out")\nprint("err", file=sys.stderr)\nsys.exit(3)'],
  ['javascript', 'console.log("out"); console.error("err"); process.exitCode = 3;'],
  ['typescript', 'const n: number = 3;\nconsole.log("out"); console.error("err"); process.exitCode = n;'],
] as const)('%s', (language, code) => {
  test('streams stdout and stderr apart and reports the exit code', async () => {
    const result = await run(base, { language, code });
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.exit).toMatchObject({ type: 'exit', code: 3, signal: null, reason: 'exit' });
    expect(result.exit.durationMs).toBeGreaterThan(0);
    await expectSessionGone(result.sessionId);
  });
});

describe('JavaScript modules', () => {
  test('ES modules: import and top-level await', async () => {
    const result = await run(base, { language: 'javascript', code: "import os from 'node:os';\nconst value = await Promise.resolve(os.EOL.length);\nconsole.log('esm', value, typeof require);" });
    expect(result.stdout).toBe('esm 1 undefined\n');
  });
  test('require without import runs as CommonJS', async () => {
    const result = await run(base, { language: 'javascript', code: "const net = require('node:net');\nconsole.log('cjs', typeof net.createServer, typeof module);" });
    expect(result.stdout).toBe('cjs function object\n');
  });
  test('TypeScript needs no build step, enums included', async () => {
    const result = await run(base, { language: 'typescript', code: 'enum Color { Red, Green }\ninterface P { x: number }\nconst p: P = { x: Color.Green };\nconsole.log(p.x);' });
    expect(result.stdout).toBe('1\n');
  });
});

describe('sockets in one cell', () => {
  test('Python TCP echo over loopback', async () => {
    const code = `import socket, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 9999)); srv.listen(5)
def serve():
    conn, _ = srv.accept(); conn.sendall(conn.recv(1024).upper()); conn.close()
threading.Thread(target=serve).start()
with socket.create_connection(('localhost', 9999)) as c:
    c.sendall(b'hello'); print(c.recv(1024))`;
    expect((await run(base, { language: 'python', code })).stdout).toBe("b'HELLO'\n");
  });
  test('Python UDP over loopback', async () => {
    const code = `import socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(('127.0.0.1', 9998))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.sendto('你好'.encode(), ('127.0.0.1', 9998))
data, addr = a.recvfrom(1024); print(data.decode(), addr[0])`;
    expect((await run(base, { language: 'python', code })).stdout).toBe('你好 127.0.0.1\n');
  });
  test('Node TCP and a port below 1024', async () => {
    const code = `import net from 'node:net';
const server = net.createServer((s) => s.end('hi from 80')).listen(80, '127.0.0.1', () => {
  net.connect(80, '127.0.0.1').on('data', (d) => { console.log(String(d)); server.close(); });
});`;
    expect((await run(base, { language: 'javascript', code })).stdout).toBe('hi from 80\n');
  });
});

describe('a server in one run, a client in the next (one session)', () => {
  const pythonServer = `import socket
sk = socket.socket(); sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9999)); sk.listen(5)
while True:
    print('server waiting...')
    conn, addr = sk.accept()
    print(conn.recv(1024).decode())
    conn.sendall('不要回答'.encode()); conn.close()`;
  test.each([
    ['python', "import socket\nc = socket.create_connection(('127.0.0.1', 9999))\nc.sendall('请求占领地球'.encode())\nprint(c.recv(1024).decode())"],
    ['javascript', "import net from 'node:net';\nconst c = net.connect(9999, '127.0.0.1', () => c.write('请求占领地球'));\nc.on('data', (d) => console.log(d.toString()));"],
  ] as const)('Python server, %s client', async (language, client) => {
    const session = await createSession(base);
    const server = await startBackground(base, { language: 'python', code: pythonServer, session, timeoutMs: 60_000 }, (out) => out.includes('server waiting'));
    const result = await run(base, { language, code: client, session });
    expect(result.stdout).toBe('不要回答\n');
    expect(result.sessionId).toBe(session);
    const stop = await api(base, 'DELETE', `/api/runs/${server.runId}`);
    expect(stop.status).toBe(204);
    const serverResult = await server.done;
    expect(serverResult.stdout).toBe('server waiting...\n请求占领地球\nserver waiting...\n');
    // Stop is Ctrl-C: Python's default handler raises KeyboardInterrupt, uncaught, in accept().
    expect(serverResult.stderr).toMatch(/KeyboardInterrupt/);
    expect(serverResult.exit).toMatchObject({ reason: 'stopped', code: null, signal: 'SIGINT' });
    expect((await api(base, 'DELETE', `/api/sessions/${session}`)).status).toBe(204);
    await expectSessionGone(session);
  });

  test('another session cannot reach the server', async () => {
    const session = await createSession(base);
    const server = await startBackground(base, { language: 'python', code: pythonServer, session, timeoutMs: 60_000 }, (out) => out.includes('server waiting'));
    const other = await run(base, { language: 'python', code: "import socket\nprint(socket.socket().connect_ex(('127.0.0.1', 9999)))" });
    expect(other.stdout).toBe('111\n');
    server.abort();
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test('runs back to back never meet "busy" while the last sandbox is torn down', async () => {
    const session = await createSession(base);
    for (let i = 0; i < 10; i++) expect((await run(base, { language: 'python', code: `print(${i})`, session })).stdout).toBe(`${i}\n`);
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test('files written in one run are read in the next', async () => {
    const session = await createSession(base);
    await run(base, { language: 'python', code: "open('note.txt', 'w').write('kept')", session });
    const result = await run(base, { language: 'javascript', code: "import fs from 'node:fs'; console.log(fs.readFileSync('note.txt', 'utf8'))", session });
    expect(result.stdout).toBe('kept\n');
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test('deleting the session ends its runs with session-ended', async () => {
    const session = await createSession(base);
    const server = await startBackground(base, { language: 'python', code: pythonServer, session, timeoutMs: 60_000 }, (out) => out.includes('server waiting'));
    expect((await api(base, 'DELETE', `/api/sessions/${session}`)).status).toBe(204);
    expect((await server.done).exit.reason).toBe('session-ended');
    await expectSessionGone(session);
    expect((await api(base, 'DELETE', `/api/sessions/${session}`)).status).toBe(404);
  });
});

describe('stdin', () => {
  test('given up front, then EOF', async () => {
    const result = await run(base, { language: 'python', code: "import sys\nfor line in sys.stdin: print(line.strip().upper())\nprint('eof')", stdin: 'a\nb\n' });
    expect(result.stdout).toBe('A\nB\neof\n');
  });

  test('interactive: lines sent while the program runs, then eof', async () => {
    const code = "while True:\n    try:\n        line = input('数据：')\n    except EOFError:\n        print('bye'); break\n    if line == 'exit': break\n    print('got', line)";
    const response = await api(base, 'POST', '/api/run', { language: 'python', code });
    const events: RunEvent[] = [];
    let runId = '';
    let sent = 0;
    for await (const event of readEvents(response)) {
      events.push(event);
      if (event.type === 'start') runId = event.run;
      const output = events.map((e) => ('data' in e ? e.data : '')).join('');
      const prompts = output.split('数据：').length - 1;
      if (prompts > sent) {
        sent = prompts;
        const body = sent === 1 ? { data: 'hello\n' } : sent === 2 ? { data: '你好\n' } : { eof: true };
        expect((await api(base, 'POST', `/api/runs/${runId}/stdin`, body)).status).toBe(204);
      }
    }
    const result = summarize(events);
    expect(result.stdout).toBe('数据：got hello\n数据：got 你好\n数据：bye\n');
    expect(result.exit.reason).toBe('exit');
  });
});

describe('stop and disconnect', () => {
  test('DELETE /api/runs/:id stops a run', async () => {
    const server = await startBackground(base, { language: 'javascript', code: "console.log('up'); setInterval(() => {}, 1000);" }, (out) => out.includes('up'));
    expect((await api(base, 'DELETE', `/api/runs/${server.runId}`)).status).toBe(204);
    expect((await server.done).exit).toMatchObject({ reason: 'stopped', signal: 'SIGINT' });
    await expectSessionGone(server.sessionId);
    expect((await api(base, 'DELETE', `/api/runs/${server.runId}`)).status).toBe(404);
  });

  test('Stop is Ctrl-C: a server\'s except KeyboardInterrupt / finally runs and its output arrives', async () => {
    const code = "import socket\nsk = socket.socket()\ntry:\n    sk.bind(('127.0.0.1', 9871)); sk.listen()\n    print('listening')\n    sk.accept()\nexcept KeyboardInterrupt:\n    print('interrupted')\nfinally:\n    sk.close(); print('closed')";
    const server = await startBackground(base, { language: 'python', code }, (out) => out.includes('listening'));
    expect((await api(base, 'DELETE', `/api/runs/${server.runId}`)).status).toBe(204);
    const result = await server.done;
    expect(result.stdout).toBe('listening\ninterrupted\nclosed\n');
    expect(result.exit).toMatchObject({ reason: 'stopped', code: 0, signal: null });
  });

  test('a program that ignores SIGINT is killed after the grace', async () => {
    const code = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('up')\ntime.sleep(60)";
    const server = await startBackground(base, { language: 'python', code }, (out) => out.includes('up'));
    const stoppedAt = performance.now();
    expect((await api(base, 'DELETE', `/api/runs/${server.runId}`)).status).toBe(204);
    const result = await server.done;
    expect(result.exit).toMatchObject({ reason: 'stopped', code: null, signal: 'SIGKILL' });
    expect(performance.now() - stoppedAt).toBeGreaterThan(1_500);
  });

  test('closing the response stream stops the run', async () => {
    const session = await createSession(base);
    const server = await startBackground(base, { language: 'python', code: "import time\nprint('up')\ntime.sleep(60)", session }, (out) => out.includes('up'));
    server.abort();
    const deadline = Date.now() + 5_000;
    while ((await api(base, 'POST', `/api/runs/${server.runId}/stdin`, { data: 'x' })).status !== 404) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
});

describe('preview', () => {
  test('proxies HTTP into the session, never to the host', async () => {
    const session = await createSession(base);
    const code = `import socket
sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM); sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('localhost', 8080)); sk.listen(5)
print('listening')
while True:
    conn, _ = sk.accept(); conn.recv(1024)
    conn.send(b"HTTP/1.1 200 OK\\r\\nSet-Cookie: a=b\\r\\n\\r\\n"); conn.send(b"Hello, World"); conn.close()`;
    const server = await startBackground(base, { language: 'python', code, session, timeoutMs: 60_000 }, (out) => out.includes('listening'));
    const response = await api(base, 'GET', `/api/sessions/${session}/preview/8080/index.html?x=1`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Hello, World');
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(response.headers.get('set-cookie')).toBeNull();
    const closed = await api(base, 'GET', `/api/sessions/${session}/preview/8081/`);
    expect(closed.status).toBe(502);
    expect(((await closed.json()) as { error: { code: string } }).error.code).toBe('preview-failed');
    server.abort();
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
  test('unknown session is 404', async () => {
    expect((await api(base, 'GET', '/api/sessions/nope/preview/8080/')).status).toBe(404);
  });
});

describe('bad input gets the contract error body', () => {
  const tooBig = 'x'.repeat(64 * 1024 + 1);
  test.each([
    ['malformed JSON', '/api/run', '{"language": "python",', 400, 'invalid-json', /not valid JSON/],
    ['not an object', '/api/run', '[1]', 400, 'bad-request', /JSON object/],
    ['unknown language', '/api/run', { language: 'cobol', code: '' }, 400, 'unknown-language', /python, javascript, typescript/],
    ['missing code', '/api/run', { language: 'python' }, 400, 'bad-request', /code is missing/],
    ['code not a string', '/api/run', { language: 'python', code: 5 }, 400, 'bad-request', /code must be a string/],
    ['timeout not a number', '/api/run', { language: 'python', code: '', timeoutMs: 'soon' }, 400, 'bad-request', /timeoutMs/],
    ['timeout above the maximum', '/api/run', { language: 'python', code: '', timeoutMs: 301_000 }, 400, 'bad-request', /300000/],
    ['code too large', '/api/run', { language: 'python', code: tooBig }, 413, 'too-large', /code is 65537 bytes/],
    ['stdin too large', '/api/run', { language: 'python', code: '', stdin: 'y'.repeat(1024 * 1024 + 1) }, 413, 'too-large', /stdin/],
    ['unknown session', '/api/run', { language: 'python', code: '', session: 'nope' }, 404, 'not-found', /POST \/api\/sessions/],
    ['stdin of unknown run', '/api/runs/nope/stdin', { data: 'x' }, 404, 'not-found', /nope/],
    ['stdin body wrong', '/api/runs/nope/stdin', { text: 'x' }, 400, 'bad-request', /"data"/],
  ] as const)('%s', async (_name, path, body, status, code, message) => {
    const response = await api(base, 'POST', path, body);
    expect(response.status).toBe(status);
    const json = (await response.json()) as { error: { code: string; message: string } };
    expect(json.error.code).toBe(code);
    expect(json.error.message).toMatch(message);
  });
  test.each([
    ['DELETE', '/api/runs/nope', 404],
    ['DELETE', '/api/sessions/nope', 404],
    ['GET', '/api/nothing', 404],
    ['GET', '/api/run', 405],
  ] as const)('%s %s → %d', async (method, path, status) => {
    const response = await api(base, method, path);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { message: string } }).error.message.length).toBeGreaterThan(10);
  });
  test('the runner still serves after all of that', async () => {
    expect((await run(base, { language: 'python', code: 'print(2 + 2)' })).stdout).toBe('4\n');
  });
});
