/**
 * Real socket programs as their authors wrote them: command-line arguments, extra module and
 * data files, imports by relative name (Python, Node ESM and CommonJS, TypeScript), and the
 * /etc files that name and service lookups need. Against the real bubblewrap runner.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { api, createSession, run, startBackground, startTestRunner } from '../support.ts';

let runner: RunningServer;
let base: string;

beforeAll(async () => {
  runner = await startTestRunner();
  base = runner.url;
});
afterAll(async () => {
  await runner.close();
});

describe('command-line arguments', () => {
  test('reach the program exactly as given, no shell in between', async () => {
    const args = ['127.0.0.1', '65432', 'two words', 'ünïcødé 你好', "it's", '$HOME', '"quoted"', 'back\\slash', 'new\nline', '', '%s %b'];
    const python = await run(base, { language: 'python', code: 'import sys, json\nprint(json.dumps(sys.argv[1:]))', args });
    expect(JSON.parse(python.stdout)).toEqual(args);
    const node = await run(base, { language: 'javascript', code: 'console.log(JSON.stringify(process.argv.slice(2)))', args });
    expect(JSON.parse(node.stdout)).toEqual(args);
  });

  test('a usage line when they are missing, as the author meant', async () => {
    const code = "import sys\nif len(sys.argv) != 3:\n    print(f'usage: {sys.argv[0]} <host> <port>'); sys.exit(1)\nprint('connecting to', sys.argv[1], int(sys.argv[2]))";
    expect((await run(base, { language: 'python', code })).exit.code).toBe(1);
    expect((await run(base, { language: 'python', code, args: ['127.0.0.1', '65432'] })).stdout).toBe('connecting to 127.0.0.1 65432\n');
  });
});

describe('extra files and imports by relative name', () => {
  test('Python imports a module given as a file, and a later run still finds it', async () => {
    const session = await createSession(base);
    const first = await run(base, { language: 'python', session, code: 'import libgreet\nprint(libgreet.hello("socket"))', files: { 'libgreet.py': 'def hello(name):\n    return f"hello, {name}"\n' } });
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('hello, socket\n');
    const later = await run(base, { language: 'python', session, code: 'import libgreet\nprint(libgreet.hello("again"))\nprint(open("data/words.txt").read().split())', files: { 'data/words.txt': 'alpha beta\n' } });
    expect(later.stdout).toBe("hello, again\n['alpha', 'beta']\n");
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test.each([
    ['javascript', "import { hello } from './greet.mjs';\nconsole.log(hello('esm'));", { 'greet.mjs': "export const hello = (n) => `hello, ${n}`;\n" }, 'hello, esm\n'],
    ['javascript', "const { hello } = require('./greet');\nconsole.log(hello('cjs'));", { 'greet.js': "exports.hello = (n) => `hello, ${n}`;\n" }, 'hello, cjs\n'],
    ['typescript', "import { hello } from './greet.ts';\nconst who: string = 'ts';\nconsole.log(hello(who));", { 'greet.ts': 'export const hello = (n: string): string => `hello, ${n}`;\n' }, 'hello, ts\n'],
  ] as const)('%s: %s', async (language, code, files, expected) => {
    const result = await run(base, { language, code, files });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(expected);
  });

  test('a module that a previous run wrote is importable by relative name', async () => {
    const session = await createSession(base);
    await run(base, { language: 'python', session, code: "open('made.mjs', 'w').write('export default 42;\\n')" });
    const result = await run(base, { language: 'javascript', session, code: "import answer from './made.mjs';\nconsole.log(answer);" });
    expect(result.stdout).toBe('42\n');
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
});

describe('bad args and files are refused before anything runs', () => {
  test.each([
    [{ args: 'not an array' }, 400, /args must be an array/],
    [{ args: [1, 2] }, 400, /each of args must be a string/],
    [{ args: Array.from({ length: 65 }, () => 'x') }, 400, /at most 64/],
    [{ args: ['x'.repeat(5000)] }, 413, /args is 5000 bytes/],
    [{ files: { '../escape.py': 'x' } }, 400, /"\.\.\/escape\.py" has an empty, "\." or "\.\." part/],
    [{ files: { '/etc/passwd': 'x' } }, 400, /is absolute/],
    [{ files: { 'a//b.py': 'x' } }, 400, /empty/],
    [{ files: { 'ok.py': 5 } }, 400, /content must be a string/],
    [{ files: ['x'] }, 400, /files must be an object/],
    [{ files: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}.txt`, 'x'])) }, 400, /at most 32/],
    [{ files: { 'big.txt': 'x'.repeat(64 * 1024 + 1) } }, 413, /big\.txt/],
    [{ files: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, 'x'.repeat(60 * 1024)])) }, 413, /all together/],
  ])('%j → %i', async (extra, status, message) => {
    const response = await api(base, 'POST', '/api/run', { language: 'python', code: 'print(1)', ...extra });
    expect(response.status).toBe(status);
    expect((await response.json()).error.message).toMatch(message);
  });
});

describe('names and services inside the sandbox', () => {
  test('services, protocols and localhost on both address families', async () => {
    const code = "import socket\nprint(socket.getservbyname('http'), socket.getprotobyname('tcp'))\nprint(sorted({a[4][0] for a in socket.getaddrinfo('localhost', 'http', proto=socket.IPPROTO_TCP)}))";
    const result = await run(base, { language: 'python', code });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe("80 6\n['127.0.0.1', '::1']\n");
  });
});

describe("the session's network", () => {
  test('UDP broadcast to <broadcast> reaches a listener in the same session', async () => {
    const code = "import socket\nr = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('', 9931)); r.settimeout(2)\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)\ns.sendto(b'hello all', ('<broadcast>', 9931))\ndata, (host, port) = r.recvfrom(100)\nprint(data, host)";
    const result = await run(base, { language: 'python', code });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe("b'hello all' 127.0.0.1\n");
  });

  test('the preview reaches a server bound only to ::1', async () => {
    const session = await createSession(base);
    const server = "import http.server, socket\nclass V6(http.server.HTTPServer):\n    address_family = socket.AF_INET6\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200); self.end_headers(); self.wfile.write(b'from ::1')\n    def log_message(self, *a): pass\nprint('up', flush=True)\nV6(('::1', 8086), H).serve_forever()";
    const background = await startBackground(base, { language: 'python', code: server, session, timeoutMs: 30_000 }, (out) => out.includes('up'));
    const response = await fetch(`${base}/api/sessions/${session}/preview/8086/`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('from ::1');
    background.abort();
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
});
