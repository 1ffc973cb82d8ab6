/**
 * `npm run bench`: the runner's speed and memory, measured side by side in one run against the
 * same interpreters spawned bare, plus the JavaScript each built page ships before editing.
 * Reports ratios against targets; it asserts nothing (targets are for reading, not CI timing).
 * Traffic stays on 127.0.0.1 and inside the runner's own network namespaces.
 */
import '../sandbox-runner/threadpool.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { measureEditorLoad, measurePageJs, PAGE_JS_BUDGET_BYTES } from '../src/build/page-js-size.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../sandbox-runner/server.ts';
import type { RunEvent } from '../sandbox-runner/protocol.ts';
import { cpuSecondsOf, rssOf } from './process-usage.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);
/** BENCH_ONLY=capture,memory runs only those parts: runs, fresh, throughput, memory, capture, pages. */
const PARTS = new Set((process.env.BENCH_ONLY ?? 'runs,fresh,throughput,memory,capture,pages').split(','));
const PAUSE_MS = 40; // a reader clicks, then reads: runs are not back to back
const STATE_DIR = '/run/socket-workbook-bench';
const CGROUP = 'socket-workbook-bench';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fmt = (value: number, digits = 1) => value.toFixed(digits);

const scratch = mkdtempSync(join(tmpdir(), 'bench-'));
const PROGRAMS = {
  python: { code: 'print(1)', file: join(scratch, 'main.py'), argv: ['/usr/bin/python3'] },
  javascript: { code: 'console.log(1)', file: join(scratch, 'main.mjs'), argv: [process.execPath, '--disable-warning=ExperimentalWarning'] },
} as const;
for (const program of Object.values(PROGRAMS)) writeFileSync(program.file, program.code);

/** Bare start: the same interpreter and program, spawned directly; ms until it has exited. */
function bareRun(language: keyof typeof PROGRAMS): Promise<{ totalMs: number; firstByteMs: number }> {
  const program = PROGRAMS[language];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let firstByteMs = 0;
    const child = spawn(program.argv[0], [...program.argv.slice(1), program.file], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => (firstByteMs = performance.now() - started));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', () => resolve({ totalMs: performance.now() - started, firstByteMs }));
  });
}

async function apiRun(base: string, language: keyof typeof PROGRAMS, session?: string, code: string = PROGRAMS[language].code): Promise<{ totalMs: number; firstByteMs: number; stdout: string }> {
  const started = performance.now();
  const response = await fetch(`${base}/api/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language, code, session, timeoutMs: 60_000 }) });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let firstByteMs = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (!firstByteMs && text.includes('"stdout"')) firstByteMs = performance.now() - started;
  }
  const totalMs = performance.now() - started;
  const events = text.trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
  const exit = events.at(-1);
  if (exit?.type !== 'exit' || exit.code !== 0) throw new Error(`bench run failed: ${text}`);
  const stdout = events.flatMap((event) => (event.type === 'stdout' ? [event.data] : [])).join('');
  return { totalMs, firstByteMs, stdout };
}

async function createSession(base: string): Promise<string> {
  const response = await fetch(`${base}/api/sessions`, { method: 'POST' });
  return ((await response.json()) as { id: string }).id;
}

async function throughput(concurrency: number, durationMs: number, once: (worker: number) => Promise<unknown>): Promise<number> {
  let count = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        await once(worker);
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** RSS of the runner's own helper processes (the sandbox spawner). */
function helpersRss(): number {
  return childPids('spawner-entry').reduce((total, pid) => total + rssOf(pid), 0);
}

function cgroupMemoryBytes(): number {
  const root = `/sys/fs/cgroup/memory/${CGROUP}`;
  let total = 0;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory()) total += Number(readFileSync(`${root}/${entry.name}/memory.usage_in_bytes`, 'utf8'));
  }
  return total;
}

/** A socket run: a connection on the loopback, a message each way, both closed. */
const SOCKET_RUN = `import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b'ping' * 25); a.recv(100); a.sendall(b'pong'); c.recv(4)
c.close(); a.close(); print(1)`;
/**
 * Loopback TCP throughput inside one program: a thread sends 1 MiB chunks for TRANSFER_S seconds
 * (long enough for the capture's steady state, not just its first slice), the main thread
 * receives; MB/s printed.
 */
const TRANSFER_S = Number(process.env.BENCH_TRANSFER_S ?? 1);
const THROUGHPUT_RUN = `import socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
chunk = b'x' * (1 << 20)
def send():
    end = time.perf_counter() + ${TRANSFER_S}
    while time.perf_counter() < end: c.sendall(chunk)
    c.close()
start = time.perf_counter(); t = threading.Thread(target=send); t.start()
buf, got = bytearray(1 << 20), 0
while n := a.recv_into(buf): got += n
t.join(); print(round(got / (time.perf_counter() - start) / 1e6))`;
/** On/off pairs of throughput runs, alternating which side goes first. */
const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 7);

/** This process's children whose command line includes `name` (the runner's helpers). */
function childPids(name: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name)) found.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

const processCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

function startBenchRunner(wire: boolean) {
  return startServer({ port: 0, staticDir: null, config: { stateDir: STATE_DIR, cgroupName: CGROUP, firstSessionUid: 400_000, logLevel: 'silent', spareSessions: 2, wire, limits: { maxRunsTotal: 64, maxSessions: 80 },
    // One client here plays many readers: the per-client quotas would refuse it.
    http: { maxSessionsPerClient: 1_000, maxRunsPerClient: 1_000 } } });
}

/** The same socket programs on a runner with packet capture and one without, interleaved. */
async function captureOnOff(on: string, off: string, row: (...cells: string[]) => void): Promise<void> {
  const sessions = { on: await createSession(on), off: await createSession(off) };
  const base = { on, off };
  const latency = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < 3; i++) for (const side of ['on', 'off'] as const) await apiRun(base[side], 'python', sessions[side], SOCKET_RUN);
  for (let i = 0; i < ITERATIONS; i++) {
    for (const side of (i % 2 ? ['on', 'off'] : ['off', 'on']) as Array<'on' | 'off'>) {
      latency[side].push((await apiRun(base[side], 'python', sessions[side], SOCKET_RUN)).totalMs);
      await sleep(PAUSE_MS);
    }
  }
  const latencyRatio = median(latency.on) / median(latency.off);
  row(`python socket run (connect, a message each way, close), capture on vs off (median of ${ITERATIONS})`, `${fmt(median(latency.on))} ms`, `${fmt(median(latency.off))} ms`, `${fmt(latencyRatio, 2)}× (on / off)`, '≤ 1.1×', latencyRatio <= 1.1 ? 'met' : 'missed');

  // Bulk throughput: on/off pairs, alternating which goes first, so both sides see the same machine.
  const wireOf = async () => (await (await fetch(`${on}/api/sessions/${sessions.on}/wire?since=999999999`)).json()) as { next: number; dropped: number };
  const helper = childPids('capture-helper.py')[0];
  const rate = { on: [] as number[], off: [] as number[] };
  const cpu = { helper: 0, runnerOn: 0, runnerOff: 0 };
  const ratios: number[] = [];
  await apiRun(on, 'python', sessions.on, THROUGHPUT_RUN); // warm-up, not counted
  await apiRun(off, 'python', sessions.off, THROUGHPUT_RUN);
  const wireBefore = await wireOf();
  for (let i = 0; i < TRANSFERS; i++) {
    for (const side of (i % 2 ? ['on', 'off'] : ['off', 'on']) as Array<'on' | 'off'>) {
      const [helperBefore, runnerBefore] = [cpuSecondsOf(helper), processCpuSeconds()];
      rate[side].push(Number((await apiRun(base[side], 'python', sessions[side], THROUGHPUT_RUN)).stdout));
      if (side === 'on') cpu.helper += cpuSecondsOf(helper) - helperBefore;
      cpu[side === 'on' ? 'runnerOn' : 'runnerOff'] += processCpuSeconds() - runnerBefore;
      await sleep(PAUSE_MS);
    }
    ratios.push(rate.on[i] / rate.off[i]);
  }
  const wireAfter = await wireOf();
  const rateRatio = median(rate.on) / median(rate.off);
  const perTransfer = (seconds: number) => `${fmt((seconds / TRANSFERS) * 1000, 0)} ms`;
  row(
    `loopback TCP throughput in a run (${TRANSFER_S} s transfer), capture on vs off (median of ${TRANSFERS} interleaved pairs)`,
    `${fmt(median(rate.on), 0)} MB/s`,
    `${fmt(median(rate.off), 0)} MB/s`,
    `${fmt(rateRatio, 2)}× (on / off; pairs ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}×, median ${fmt(median(ratios), 2)}×); per transfer the capture read ${fmt((wireAfter.next - wireBefore.next) / TRANSFERS, 0)} packets and missed ${fmt((wireAfter.dropped - wireBefore.dropped) / TRANSFERS, 0)}, CPU: helper ${perTransfer(cpu.helper)}, runner ${perTransfer(cpu.runnerOn - cpu.runnerOff)} more than with capture off`,
    '≥ 0.9×',
    rateRatio >= 0.9 ? 'met' : 'missed',
  );
  await Promise.all([fetch(`${on}/api/sessions/${sessions.on}`, { method: 'DELETE' }), fetch(`${off}/api/sessions/${sessions.off}`, { method: 'DELETE' })]);
}

async function main() {
  const running = await startBenchRunner(true);
  const base = running.url;
  if (running.runner?.unavailableReason) throw new Error(running.runner.unavailableReason);
  const rows: string[][] = [];
  const row = (...cells: string[]) => rows.push(cells);
  try {
    // 1. Trivial run: sandboxed through the API vs bare, interleaved so both see the same machine.
    for (const language of PARTS.has('runs') ? (['python', 'javascript'] as const) : []) {
      const session = await createSession(base);
      const bare: number[] = [];
      const bareFirst: number[] = [];
      const sandboxed: number[] = [];
      const sandboxedFirst: number[] = [];
      for (let i = 0; i < 3; i++) {
        await bareRun(language);
        await apiRun(base, language, session);
        await sleep(PAUSE_MS);
      }
      for (let i = 0; i < ITERATIONS; i++) {
        const b = await bareRun(language);
        bare.push(b.totalMs);
        bareFirst.push(b.firstByteMs);
        await sleep(PAUSE_MS);
        const s = await apiRun(base, language, session);
        sandboxed.push(s.totalMs);
        sandboxedFirst.push(s.firstByteMs);
        await sleep(PAUSE_MS);
      }
      const ratio = median(sandboxed) / median(bare);
      row(`${language} trivial run, existing session (median of ${ITERATIONS})`, `${fmt(median(sandboxed))} ms`, `${fmt(median(bare))} ms`, `${fmt(ratio, 2)}×`, '≤ 1.3×', ratio <= 1.3 ? 'met' : 'missed');
      const first = median(sandboxedFirst);
      row(`${language} time to first output byte`, `${fmt(first)} ms`, `${fmt(median(bareFirst))} ms`, `${fmt(first / median(bareFirst), 2)}×`, '≤ 100 ms', first <= 100 ? 'met' : 'missed');
      await fetch(`${base}/api/sessions/${session}`, { method: 'DELETE' });
    }
    // 2. A run without a session (fresh session from the prepared pool).
    if (PARTS.has('fresh')) {
      const fresh: number[] = [];
      for (let i = 0; i < 15; i++) {
        fresh.push((await apiRun(base, 'python')).firstByteMs);
        await sleep(150);
      }
      row('python first byte, run without a session (median of 15)', `${fmt(median(fresh))} ms`, '', '', '≤ 100 ms', median(fresh) <= 100 ? 'met' : 'missed');
    }
    // 3. Throughput at concurrency 1, 2, 8: one session per worker (a reader each) vs bare spawns.
    for (const concurrency of PARTS.has('throughput') ? [1, 2, 8] : []) {
      const sessions = await Promise.all(Array.from({ length: concurrency }, () => createSession(base)));
      await sleep(300);
      const bareRate = await throughput(concurrency, 3_000, () => bareRun('python'));
      const apiRate = await throughput(concurrency, 3_000, (worker) => apiRun(base, 'python', sessions[worker]));
      const ratio = apiRate / bareRate;
      row(`python runs/s at concurrency ${concurrency}`, fmt(apiRate), fmt(bareRate), `${fmt(ratio, 2)}×`, concurrency === 8 ? '≥ 0.7×' : '', concurrency === 8 ? (ratio >= 0.7 ? 'met' : 'missed') : '');
      await Promise.all(sessions.map((id) => fetch(`${base}/api/sessions/${id}`, { method: 'DELETE' })));
    }
    // 4. Memory with 50 idle sessions, each holding a listening server.
    if (PARTS.has('memory')) {
      const before = rssOf(process.pid);
      const server = "import socket\ns = socket.socket(); s.bind(('127.0.0.1', 9999)); s.listen(5)\nprint('listening')\nconn, _ = s.accept()";
      const controllers: AbortController[] = [];
      for (let i = 0; i < 50; i++) {
        const session = await createSession(base);
        const controller = new AbortController();
        controllers.push(controller);
        const response = await fetch(`${base}/api/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'python', code: server, session, timeoutMs: 120_000 }), signal: controller.signal });
        const reader = response.body!.getReader();
        let text = '';
        while (!text.includes('listening')) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`a benchmark server did not start (${response.status}): ${text}`);
          text += new TextDecoder().decode(value);
        }
      }
      await sleep(1_000);
      const runnerRss = rssOf(process.pid);
      const spawnerRss = helpersRss();
      const sandboxes = cgroupMemoryBytes();
      const total = runnerRss + spawnerRss + sandboxes;
      row('memory, 50 idle sessions each with a listening server', `${fmt(total / 2 ** 20, 0)} MiB`, '', `runner RSS ${fmt(runnerRss / 2 ** 20, 0)} MiB (+${fmt((runnerRss - before) / 2 ** 20, 0)} for the sessions; includes this benchmark's client), spawner ${fmt(spawnerRss / 2 ** 20, 0)} MiB, sandboxes (cgroups: processes + tmpfs) ${fmt(sandboxes / 2 ** 20, 0)} MiB`, '< 1024 MiB', total < 2 ** 30 ? 'met' : 'missed');
      for (const controller of controllers) controller.abort();
    }
    // 5. Packet capture (the wire view) on vs off: a second runner without it (RUNNER_WIRE=off).
    if (PARTS.has('capture')) {
      const withoutCapture = await startBenchRunner(false);
      try {
        await captureOnOff(base, withoutCapture.url, row);
      } finally {
        await withoutCapture.close();
      }
    }
  } finally {
    await running.close();
  }
  console.log('\n| measurement | sandboxed | bare | ratio / detail | target | |');
  console.log('|---|---|---|---|---|---|');
  for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);

  const distDir = join(import.meta.dirname, '..', 'dist');
  if (!PARTS.has('pages')) return;
  const pages = existsSync(distDir) ? await measurePageJs(distDir) : [];
  if (pages.length === 0) {
    console.log('\n(no built site in dist/: run `npm run build` to measure page JavaScript)');
  } else {
    const largest = Math.max(...pages.map((page) => page.gzipBytes));
    console.log(`\nJavaScript before the reader edits (gzip), target ≤ 60 KB per chapter page; largest ${fmt(largest / 1024)} KB: ${largest <= PAGE_JS_BUDGET_BYTES ? 'met' : 'missed'}`);
    console.log('| page | gzip KB |\n|---|---|');
    for (const page of pages) console.log(`| ${page.page} | ${fmt(page.gzipBytes / 1024)} |`);
    const editor = await measureEditorLoad(distDir);
    console.log(`\nEditor's first load (Python cell): ${fmt(editor.brotliBytes / 1024)} KB brotli as served, ${fmt(editor.rawBytes / 1024)} KB uncompressed (${editor.files.join(', ')})`);
  }
}

await main();
