/**
 * `npm run load`: N simulated readers against one runner (started here as its own process) or a
 * running cluster (TARGET), for a bounded time, over loopback only. Each reader comes from its
 * own loopback address (127.1.x.y), so per-client quotas apply as for real readers, and does
 * what a reader of the workbook does: a session, a server cell that stays up (TCP echo + HTTP),
 * then, with think time between, client cells in Python and JavaScript against it, a UDP cell,
 * an interactive cell fed through stdin, and the server's preview through the preview origin.
 *
 * Environment: READERS (100), DURATION_S (120), THINK_MS (2000, each pause 0.5-1.5x),
 * TARGET (a running runner or router, e.g. http://127.0.0.1:8080; unset: start one here),
 * METRICS (where to read each runner's /metrics, comma-separated bases; default TARGET; for the
 * cluster: http://127.0.0.1:8080/runners/r0,http://127.0.0.1:8080/runners/r1,...),
 * JSON (a file to write the raw figures to), RUNNER_LOG (a file for the runner's own log), IDLE=1 (capacity instead: READERS readers each
 * start a session and a server, then sit idle; prints the memory each costs and how many fit).
 * Prints a table: operations and errors by kind, 429s, latency percentiles, runner RSS growth,
 * and what was left after the end (sessions, runs, cgroups, processes).
 */
import { Agent, fetch, type Response } from 'undici';
import { writeFileSync } from 'node:fs';
import { runEvents } from '../sandbox-runner/ndjson.ts';
import type { ExitEvent, RunEvent, RunRequest } from '../sandbox-runner/protocol.ts';
import { processLeftovers, startRunnerProcess, type RunnerProcess } from './cluster-processes.ts';
import { cpuSecondsOf, rssOf } from './process-usage.ts';

const READERS = Number(process.env.READERS ?? 100);
const DURATION_MS = Number(process.env.DURATION_S ?? 120) * 1000;
const THINK_MS = Number(process.env.THINK_MS ?? 2000);
const IDLE = process.env.IDLE === '1';
const STATE_DIR = '/run/socket-workbook-load';
const CGROUP = 'socket-workbook-load';

const SERVER_CODE = `import socket, threading, http.server
class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'<h1>hello</h1>'
        self.send_response(200); self.send_header('Content-Type', 'text/html'); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
web = http.server.ThreadingHTTPServer(('127.0.0.1', 8000), Page)
threading.Thread(target=web.serve_forever, daemon=True).start()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 9000)); srv.listen(16)
print('listening', flush=True)
while True:
    conn, _ = srv.accept()
    with conn:
        conn.sendall(conn.recv(1024).upper())
`;
const CLIENTS: Record<string, RunRequest> = {
  'client-py': { language: 'python', stdin: '', code: "import socket\nwith socket.create_connection(('127.0.0.1', 9000)) as c:\n    c.sendall(b'hello'); print(c.recv(1024).decode())" },
  'client-js': { language: 'javascript', stdin: '', code: "import net from 'node:net';\nconst c = net.connect(9000, '127.0.0.1', () => c.write('hello'));\nc.on('data', (d) => { console.log(String(d)); c.end(); });" },
  udp: { language: 'python', stdin: '', code: "import socket\na = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(('127.0.0.1', 9100))\nb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.sendto(b'ping', ('127.0.0.1', 9100))\nprint(a.recvfrom(64)[0].decode())" },
};
const EXPECTED: Record<string, string> = { 'client-py': 'HELLO\n', 'client-js': 'HELLO\n', udp: 'ping\n', stdin: 'got 42\n' };

// ---- figures ---------------------------------------------------------------------------------
const latencies = new Map<string, number[]>();
const counts = new Map<string, number>();
const errorsByKind = new Map<string, number>();
let busy = 0;
const busyByOp = new Map<string, number>();
/** Packets each session's capture saw (empty with the capture off). */
const wirePackets: number[] = [];
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

class OpError extends Error {
  readonly kind: string;
  constructor(kind: string, detail: string) {
    super(detail);
    this.kind = kind;
  }
}

async function measured<T>(op: string, work: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const result = await work();
    (latencies.get(op) ?? latencies.set(op, []).get(op)!).push(performance.now() - started);
    bump(counts, op);
    return result;
  } catch (error) {
    bump(counts, op);
    if (error instanceof OpError && error.kind === '429') {
      busy++;
      bump(busyByOp, op);
    } else {
      bump(errorsByKind, `${op}: ${error instanceof OpError ? error.kind : (error as Error).name + ' ' + (error as Error).message.slice(0, 60)}`);
    }
    return undefined;
  }
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function fail(response: Response): Promise<never> {
  const text = await response.text().catch(() => '');
  let code = '';
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    // not the runner's JSON
  }
  throw new OpError(response.status === 429 ? '429' : `${response.status} ${code}`.trim(), text.slice(0, 200));
}

// ---- one reader ------------------------------------------------------------------------------
interface Target {
  base: string;
  previewOrigin: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const think = () => sleep(THINK_MS * (0.5 + Math.random()));

async function reader(index: number, target: Target, until: number): Promise<void> {
  const localAddress = `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`;
  const dispatcher = new Agent({ localAddress, keepAliveTimeout: 4_000 });
  const call = (path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}, origin = target.base) =>
    fetch(origin + path, {
      method: init.method ?? 'GET',
      dispatcher,
      signal: init.signal,
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const runToEnd = async (session: string, request: RunRequest, expected: string) => {
    const response = await call(`/api/sessions/${session}/runs`, { method: 'POST', body: request });
    if (response.status !== 200) await fail(response);
    let stdout = '';
    let exit: ExitEvent | undefined;
    for await (const event of runEvents(response.body as ReadableStream<Uint8Array>)) {
      if (event.type === 'stdout') stdout += event.data;
      if (event.type === 'exit') exit = event;
    }
    if (exit?.reason !== 'exit' || exit.code !== 0) throw new OpError(`exit ${exit?.reason ?? 'missing'}`, JSON.stringify(exit));
    if (stdout !== expected) throw new OpError('wrong output', stdout.slice(0, 100));
  };

  const session = await measured('session', async () => {
    const response = await call('/api/sessions', { method: 'POST' });
    if (response.status !== 201) await fail(response);
    return ((await response.json()) as { id: string }).id;
  });
  if (!session) return void (await dispatcher.close());
  const serverAbort = new AbortController();
  let serverEnded: Promise<void> = Promise.resolve();
  const serverUp = await measured('server-start', async () => {
    const response = await call(`/api/sessions/${session}/runs`, { method: 'POST', body: { language: 'python', code: SERVER_CODE, timeoutMs: 300_000 }, signal: serverAbort.signal });
    if (response.status !== 200) await fail(response);
    const events = runEvents(response.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
    for (;;) {
      const next = await events.next();
      if (next.done) throw new OpError('server ended', 'before listening');
      const event: RunEvent = next.value;
      if (event.type === 'stdout' && event.data.includes('listening')) break;
      if (event.type === 'exit') throw new OpError(`server exit ${event.reason}`, '');
    }
    // Keep reading until the server ends (it should outlive the reader's visit).
    serverEnded = (async () => {
      for (;;) {
        const next = await events.next().catch(() => ({ done: true as const, value: undefined }));
        if (next.done) return;
        if (next.value.type === 'exit' && !serverAbort.signal.aborted) bump(errorsByKind, `server: ended early (${next.value.reason})`);
      }
    })();
    return true;
  });

  const operations: Array<[string, () => Promise<void>]> = [
    ['client-py', () => runToEnd(session, CLIENTS['client-py'], EXPECTED['client-py'])],
    ['client-js', () => runToEnd(session, CLIENTS['client-js'], EXPECTED['client-js'])],
    ['udp', () => runToEnd(session, CLIENTS.udp, EXPECTED.udp)],
    ['stdin', async () => {
      const response = await call(`/api/sessions/${session}/runs`, { method: 'POST', body: { language: 'python', code: "print('got', input())" } });
      if (response.status !== 200) await fail(response);
      let stdout = '';
      let exit: ExitEvent | undefined;
      for await (const event of runEvents(response.body as ReadableStream<Uint8Array>)) {
        if (event.type === 'start') {
          const sent = await call(`/api/sessions/${session}/runs/${event.run}/stdin`, { method: 'POST', body: { data: '42\n' } });
          if (sent.status !== 204) await fail(sent);
          await call(`/api/sessions/${session}/runs/${event.run}/stdin`, { method: 'POST', body: { eof: true } }).then((r) => r.text());
        }
        if (event.type === 'stdout') stdout += event.data;
        if (event.type === 'exit') exit = event;
      }
      if (exit?.reason !== 'exit') throw new OpError(`exit ${exit?.reason ?? 'missing'}`, '');
      if (stdout !== EXPECTED.stdin) throw new OpError('wrong output', stdout);
    }],
    ['preview', async () => {
      if (!serverUp) throw new OpError('no server', '');
      const response = await call(`/api/sessions/${session}/preview/8000/`, {}, target.previewOrigin);
      const text = await response.text();
      if (response.status !== 200) throw new OpError(response.status === 429 ? '429' : `${response.status}`, text.slice(0, 200));
      if (!text.includes('hello')) throw new OpError('wrong page', text.slice(0, 100));
    }],
  ];
  let next = index % operations.length;
  while (IDLE && Date.now() < until) await sleep(Math.min(1_000, until - Date.now()));
  while (Date.now() < until) {
    await think();
    if (Date.now() >= until) break;
    const [name, work] = operations[next++ % operations.length];
    // A cell that needs the server is pointless without it (already counted as an error).
    if (serverUp || name === 'udp' || name === 'stdin') await measured(name, work);
    await measured('health', async () => {
      const response = await call('/api/health');
      if (response.status !== 200) await fail(response);
      await response.text();
    });
  }
  serverAbort.abort();
  await serverEnded;
  // What the session's packet capture held (not an operation: one look before leaving).
  const wire = await call(`/api/sessions/${session}/wire?since=999999999999999`).catch(() => null);
  if (wire?.status === 200) wirePackets.push(((await wire.json()) as { next: number }).next);
  else await wire?.text();
  await measured('session-delete', async () => {
    const response = await call(`/api/sessions/${session}`, { method: 'DELETE' });
    if (response.status !== 204) await fail(response);
  });
  await dispatcher.close();
}

// ---- the runner(s) ---------------------------------------------------------------------------
/**
 * Every sample summed by name, over one runner or several (comma-separated bases, each serving
 * `<base>/metrics`); samples with a `space` label (the V8 heap's spaces) also under `name/space`.
 */
async function metricsOf(bases: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  const add = (key: string, value: number) => values.set(key, (values.get(key) ?? 0) + value);
  for (const base of bases.split(',')) {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of text.split('\n')) {
      const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
      if (!match) continue;
      add(match[1], Number(match[3]));
      const space = /space="(\w+)"/.exec(match[2] ?? '')?.[1];
      if (space) add(`${match[1]}/${space}`, Number(match[3]));
    }
  }
  return values;
}

/** Where the runner's memory is, from its metrics: the V8 heap (by space), Buffers outside it, and the rest of RSS. */
function memoryBreakdown(metrics: Map<string, number>, rss: number): Record<string, number> {
  const heapTotal = metrics.get('workbook_nodejs_heap_size_total_bytes') ?? 0;
  const external = metrics.get('workbook_nodejs_external_memory_bytes') ?? 0;
  const space = (name: string) => metrics.get(`workbook_nodejs_heap_space_size_total_bytes/${name}`) ?? 0;
  return {
    rss,
    heapTotal,
    heapUsed: metrics.get('workbook_nodejs_heap_size_used_bytes') ?? 0,
    newSpace: space('new'),
    oldSpace: space('old'),
    external,
    // code, malloc'd memory (libuv, OpenSSL, the HTTP parser, zlib), thread stacks
    outside: rss - heapTotal - external,
  };
}

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  let own: RunnerProcess | undefined;
  let base = process.env.TARGET;
  let metricsBase = process.env.METRICS ?? base;
  if (!base) {
    own = await startRunnerProcess({ RUNNER_NAME: 'load', RUNNER_STATE_DIR: STATE_DIR, RUNNER_CGROUP_NAME: CGROUP, LOG_LEVEL: 'warn', RUNNER_DRAIN_MS: '10000' });
    base = metricsBase = own.url;
  }
  const health = (await (await fetch(`${base}/api/health`)).json()) as { previewOrigin: string; runner: string };
  const target = { base, previewOrigin: health.previewOrigin };
  const rss = async () => (own ? rssOf(own.child.pid!) : ((await metricsOf(metricsBase!)).get('workbook_process_resident_memory_bytes') ?? 0));
  const rssBefore = await rss();
  const cpu = async () => (own ? cpuSecondsOf(own.child.pid!) : ((await metricsOf(metricsBase!)).get('workbook_process_cpu_seconds_total') ?? 0));
  const cpuBefore = await cpu();
  const memoryBefore = memoryBreakdown(await metricsOf(metricsBase!), rssBefore);
  console.log(`load: ${READERS} readers for ${DURATION_MS / 1000} s against ${base} (runner ${health.runner}), think ${THINK_MS} ms, previews via ${target.previewOrigin}`);
  const started = Date.now();
  const until = started + DURATION_MS;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => void rss().then((value) => (rssPeak = Math.max(rssPeak, value))), 2_000);
  // Where the memory is over time (for JSON): every 10 s.
  const timeline: Array<Record<string, number>> = [];
  const timelineSampler = setInterval(() => void Promise.all([metricsOf(metricsBase!), rss()]).then(([metrics, value]) => timeline.push({ s: Math.round((Date.now() - started) / 1000), ...memoryBreakdown(metrics, value) })).catch(() => {}), 10_000);
  // Readers arrive over the first tenth of the run, as readers of a page do.
  const readers = Promise.all(Array.from({ length: READERS }, (_, index) => sleep((index / READERS) * DURATION_MS * 0.1).then(() => reader(index, target, until))));
  if (IDLE) {
    // Every reader's server is up and idle by the end of the ramp: measure what they hold.
    await sleep(Math.max(0, until - Date.now() - 5_000));
    const held = await metricsOf(metricsBase!);
    const sessions = held.get('workbook_sessions') ?? 0;
    const memory = held.get('workbook_sessions_memory_bytes') ?? 0;
    const rssNow = await rss();
    const perReader = (memory + rssNow - rssBefore) / Math.max(1, sessions);
    console.log(`idle readers with a live server: ${sessions}; their sessions' memory ${(memory / MiB).toFixed(0)} MiB (${(memory / Math.max(1, sessions) / MiB).toFixed(1)} MiB each), runner RSS +${((rssNow - rssBefore) / MiB).toFixed(0)} MiB; ${(perReader / MiB).toFixed(1)} MiB per reader in all -> ${Math.floor((20 * 1024 * MiB) / perReader)} readers in 20 GiB (24 GiB less the host's share)`);
  }
  await readers;
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  clearInterval(timelineSampler);
  // Give background teardowns a moment, then look at what is left.
  await sleep(3_000);
  const after = metricsBase ? await metricsOf(metricsBase) : new Map<string, number>();
  const rssAfter = await rss();
  const memoryAfter = memoryBreakdown(after, rssAfter);
  const runnerCpu = (await cpu()) - cpuBefore;
  let leftovers: string[] = [];
  let exitCode: number | string | undefined;
  if (own) {
    own.child.kill('SIGTERM');
    exitCode = await own.exited;
    leftovers = processLeftovers(own.child.pid!, STATE_DIR, CGROUP);
    // The runner's own log lines (warnings and errors) explain the errors above.
    if (process.env.RUNNER_LOG) writeFileSync(process.env.RUNNER_LOG, own.output());
  }

  const ops = [...counts.keys()].sort();
  const totalOps = [...counts.values()].reduce((a, b) => a + b, 0);
  const totalErrors = [...errorsByKind.values()].reduce((a, b) => a + b, 0);
  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const ms = (value: number) => (Number.isNaN(value) ? '–' : value.toFixed(0));
  const lines = [
    `Load test: ${READERS} readers, ${elapsed.toFixed(0)} s, think ${THINK_MS} ms, target ${own ? 'one runner (own process)' : base}`,
    '',
    row(['operation', 'count', 'errors', '429', 'p50 ms', 'p95 ms', 'p99 ms']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...ops.map((op) => {
      const errors = [...errorsByKind].filter(([kind]) => kind.startsWith(`${op}:`)).reduce((sum, [, n]) => sum + n, 0);
      const values = latencies.get(op) ?? [];
      return row([op, counts.get(op) ?? 0, errors, busyByOp.get(op) ?? 0, ms(percentile(values, 50)), ms(percentile(values, 95)), ms(percentile(values, 99))]);
    }),
    '',
    `operations ${totalOps}, errors other than 429: ${totalErrors} (${((100 * totalErrors) / Math.max(1, totalOps)).toFixed(2)} %), 429: ${busy}`,
    `client runs (Python + JS) p95: ${ms(percentile([...(latencies.get('client-py') ?? []), ...(latencies.get('client-js') ?? [])], 95))} ms; health p99: ${ms(percentile(latencies.get('health') ?? [], 99))} ms`,
    `runs/s: ${(((counts.get('client-py') ?? 0) + (counts.get('client-js') ?? 0) + (counts.get('udp') ?? 0) + (counts.get('stdin') ?? 0)) / elapsed).toFixed(1)}`,
    `runner RSS: ${(rssBefore / MiB).toFixed(0)} MiB before, ${(rssPeak / MiB).toFixed(0)} MiB peak, ${(rssAfter / MiB).toFixed(0)} MiB after (growth ${((rssAfter - rssBefore) / MiB).toFixed(0)} MiB)`,
    `packets captured per session: ${wirePackets.length ? `p50 ${percentile(wirePackets, 50)}, max ${Math.max(...wirePackets)}, all ${wirePackets.reduce((a, b) => a + b, 0)}` : 'none (capture off)'}`,
    `runner CPU: ${runnerCpu.toFixed(1)} s (${((100 * runnerCpu) / elapsed).toFixed(1)} % of a core)`,
    `runner memory before -> after (MiB): ${Object.keys(memoryBefore).map((key) => `${key} ${(memoryBefore[key] / MiB).toFixed(0)} -> ${(memoryAfter[key] / MiB).toFixed(0)}`).join(', ')}`,
    `left after: sessions ${after.get('workbook_sessions') ?? '?'}, runs ${after.get('workbook_runs_active') ?? '?'}${own ? `, after SIGTERM: exit ${exitCode}, cgroups/dirs/processes ${leftovers.length}${leftovers.length ? ` (${leftovers.slice(0, 5).join(', ')})` : ''}` : ''}`,
    ...(errorsByKind.size ? ['', 'errors by kind:', ...[...errorsByKind].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `  ${n}  ${kind}`)] : []),
  ];
  console.log(lines.join('\n'));
  if (process.env.JSON) writeFileSync(process.env.JSON, JSON.stringify({ readers: READERS, elapsed, counts: Object.fromEntries(counts), errors: Object.fromEntries(errorsByKind), busy, latencies: Object.fromEntries([...latencies].map(([op, values]) => [op, { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) }])), rssBefore, rssPeak, rssAfter, memoryBefore, memoryAfter, runnerCpu, timeline, leftovers }, null, 2));
  process.exit(0);
}

await main();
