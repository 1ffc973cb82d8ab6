/**
 * Runs one page's cells through the real runner, the way the content check
 * (tests/content/cells.test.ts) runs them, and records what each printed and how it ended, so
 * that the import can write that down as the expected output:
 * one session per page, cells in order; a server runs in the background from where it stands
 * (or, when a later cell `needs=` it, from that cell), and is stopped before a cell that does
 * not need it; the others run to completion with their `stdin`.
 *
 * The runner is the project's own, started in-process on a free loopback port (its state under
 * /run/socket-workbook-kit, so it never meets a running workbook's), or the one at `runnerUrl`.
 */
import type { CollectedCell } from '../../src/cells/collect-cells.ts';
import { SERVER_TIMEOUT_MS } from '../../src/cells/cell-meta.ts';
import { runEvents } from '../../sandbox-runner/ndjson.ts';
import type { ExitEvent, RunRequest } from '../../sandbox-runner/protocol.ts';
import { KitError } from './content.ts';

/** How long a server may take to print its first line (as the content check allows). */
const SERVER_READY_MS = 8_000;
/** Quiet time before a server is stopped, so what it prints after a client left is kept. */
const SERVER_SETTLE_MS = 250;
const RUN_TIMEOUT_MS = 10_000;

export interface CellResult {
  id: string;
  output: string;
  exit: ExitEvent;
  /** What the author should know about this run (it timed out, a server printed nothing...). */
  notes: string[];
}

export interface Runner {
  url: string;
  close(): Promise<void>;
}

/** The runner to use: the one at `url`, or the project's own, started here. */
export async function openRunner(url?: string): Promise<Runner> {
  if (url) {
    const health = await fetch(new URL('/api/health', url)).catch((error: Error) => {
      throw new KitError(`The runner at ${url} cannot be reached (${error.message}); start it (npm run serve) or leave out --runner.`);
    });
    if (!health.ok) throw new KitError(`The runner at ${url} answered /api/health with ${health.status}; is it the workbook's runner?`);
    return { url, close: async () => {} };
  }
  const { startServer } = await import('../../sandbox-runner/server.ts');
  const server = await startServer({
    port: 0,
    staticDir: null,
    // Its own state folder, cgroup and uids, apart from a workbook or a test runner on this machine.
    config: { stateDir: '/run/socket-workbook-kit', cgroupName: 'socket-workbook-kit', firstSessionUid: 400_000, logLevel: 'warn', spareSessions: 0 },
  });
  if (!server.runner?.layout) {
    const reason = server.runner?.unavailableReason ?? 'no sandbox';
    await server.close();
    throw new KitError(`The sandbox runner is not usable here (${reason}): cells cannot be run. Run scripts/setup.sh as root (bubblewrap, cgroups), or pass --runner <url> of a running workbook.`);
  }
  return { url: server.url, close: () => server.close() };
}

interface Handle {
  done: Promise<ExitEvent>;
  started: Promise<string | undefined>;
  firstLine: Promise<void>;
  output(): string;
  lastOutputAt(): number;
}

function startRun(base: string, request: RunRequest): Handle {
  let text = '';
  let lastOutputAt = Date.now();
  let resolveStarted!: (id: string | undefined) => void;
  let resolveFirst!: () => void;
  const started = new Promise<string | undefined>((res) => (resolveStarted = res));
  const firstLine = new Promise<void>((res) => (resolveFirst = res));
  const failed = (message: string): ExitEvent => {
    text += `\n[import: ${message}]`;
    return { type: 'exit', code: null, signal: null, reason: 'error', durationMs: 0 };
  };
  const done = (async () => {
    try {
      const response = await fetch(new URL('/api/run', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
      if (response.status !== 200 || !response.body) return failed(`POST /api/run answered ${response.status}: ${await response.text()}`);
      let exit: ExitEvent | undefined;
      for await (const event of runEvents(response.body)) {
        if (event.type === 'start') resolveStarted(event.run);
        else if (event.type === 'stdout' || event.type === 'stderr') {
          text += event.data;
          lastOutputAt = Date.now();
          if (text.includes('\n')) resolveFirst();
        } else if (event.type === 'exit') exit = event;
      }
      return exit ?? failed('the run stream ended without an exit event');
    } catch (error) {
      return failed(`the run failed: ${(error as Error).message}`);
    } finally {
      resolveStarted(undefined);
      resolveFirst();
    }
  })();
  return { done, started, firstLine, output: () => text, lastOutputAt: () => lastOutputAt };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const within = <T>(promise: Promise<T>, ms: number, fallback: T) =>
  Promise.race([promise, sleep(ms).then(() => fallback)]);

/**
 * Parts of an output that differ from run to run, replaced by `{{...}}` wildcards: the run's
 * folder in tracebacks, memory addresses, ephemeral ports on loopback.
 */
export function generalizeOutput(output: string): string {
  return output
    .replace(/\/cell\/\d+\//g, '/cell/{{run}}/')
    .replace(/\b0x[0-9a-f]{6,}\b/g, '{{address}}')
    .replace(/(127\.0\.0\.1'?,\s*|127\.0\.0\.1:|localhost:)(3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b/g, '$1{{port}}');
}

export async function runPageCells(runnerUrl: string, cells: CollectedCell[]): Promise<CellResult[]> {
  const results = new Map<string, CellResult>();
  if (cells.length === 0) return [];
  const response = await fetch(new URL('/api/sessions', runnerUrl), { method: 'POST' });
  if (response.status !== 201) throw new KitError(`The runner could not open a session (${response.status} ${await response.text()}).`);
  const session = ((await response.json()) as { id: string }).id;
  const running = new Map<string, { cell: CollectedCell; handle: Handle; notes: string[] }>();
  const request = (cell: CollectedCell, timeoutMs: number): RunRequest => ({
    language: cell.meta.language,
    code: cell.code,
    session,
    timeoutMs,
    ...(cell.meta.stdin !== undefined ? { stdin: cell.meta.stdin } : {}),
  });
  const stopRun = async (handle: Handle) => {
    const runId = await within(handle.started, 2_000, undefined);
    if (runId) await fetch(new URL(`/api/runs/${encodeURIComponent(runId)}`, runnerUrl), { method: 'DELETE' }).then((r) => r.body?.cancel());
  };
  const startServer = async (cell: CollectedCell) => {
    const handle = startRun(runnerUrl, request(cell, cell.meta.timeoutMs ?? SERVER_TIMEOUT_MS));
    const notes: string[] = [];
    running.set(cell.meta.id, { cell, handle, notes });
    const ready = await within(handle.firstLine.then(() => true), SERVER_READY_MS, false);
    if (!ready) notes.push(`这个服务端 ${SERVER_READY_MS / 1000} 秒内没有输出一行：内容检查要求服务端就绪时打印一行（print(...)）。 / This server printed no line within ${SERVER_READY_MS / 1000} s: the content check needs a server to print a line when it is ready.`);
  };
  const stopServer = async (id: string) => {
    const entry = running.get(id);
    if (!entry) return;
    running.delete(id);
    const settleUntil = Date.now() + 3_000;
    while (Date.now() < settleUntil && Date.now() - entry.handle.lastOutputAt() < SERVER_SETTLE_MS) await sleep(50);
    // What it printed while serving, as the content check compares it (Stop is Ctrl-C: a Python
    // server prints a KeyboardInterrupt traceback after it).
    const served = entry.handle.output();
    await stopRun(entry.handle);
    const exit = await entry.handle.done;
    if (exit.reason !== 'stopped' && exit.reason !== 'exit') entry.notes.push(`服务端意外结束（${exit.reason}）。 / The server ended unexpectedly (${exit.reason}).`);
    results.set(id, { id, output: exit.reason === 'stopped' ? served : entry.handle.output(), exit, notes: entry.notes });
  };
  try {
    for (const [index, cell] of cells.entries()) {
      for (const id of [...running.keys()]) if (cell.meta.needs !== id) await stopServer(id);
      if (cell.meta.server) {
        if (!cells.slice(index + 1).some((later) => later.meta.needs === cell.meta.id)) await startServer(cell);
        continue;
      }
      if (cell.meta.needs && !running.has(cell.meta.needs)) await startServer(cells.find((c) => c.meta.id === cell.meta.needs)!);
      const timeoutMs = cell.meta.timeoutMs ?? RUN_TIMEOUT_MS;
      const handle = startRun(runnerUrl, request(cell, timeoutMs));
      const exit = await handle.done;
      const notes: string[] = [];
      if (exit.reason === 'timeout') notes.push(`运行超时（${timeoutMs / 1000} 秒）：如果它是服务端，加上 server；否则让它自己结束。 / It timed out after ${timeoutMs / 1000} s: mark it server if it is one, or make it end by itself.`);
      else if (exit.reason !== 'exit') notes.push(`运行没有正常结束（${exit.reason}），内容检查会报错，请修改代码。 / The run did not end normally (${exit.reason}); the content check will fail until the code is fixed.`);
      else if (exit.code !== 0) notes.push(`它以退出码 ${exit.code} 结束，所以标了 exit=${exit.code}；如果这不是课文想展示的错误，请修改代码。 / It exits with code ${exit.code}, so it is marked exit=${exit.code}; fix the code unless the lesson means to show this error.`);
      results.set(cell.meta.id, { id: cell.meta.id, output: handle.output(), exit, notes });
    }
    for (const id of [...running.keys()]) await stopServer(id);
  } finally {
    for (const { handle } of running.values()) await stopRun(handle).catch(() => {});
    await fetch(new URL(`/api/sessions/${encodeURIComponent(session)}`, runnerUrl), { method: 'DELETE' }).then((r) => r.body?.cancel()).catch(() => {});
  }
  return cells.map((cell) => results.get(cell.meta.id)!);
}
