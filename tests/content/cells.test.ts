/**
 * Content check: runs every runnable cell of every chapter (content/**\/*.mdx, both locales)
 * through the real sandbox runner and compares what it prints with the cell's expected output.
 *
 * One runner session per page, cells in document order:
 * - a `server` cell runs in the background; the check waits for its first output line. A server
 *   that a later cell `needs=` is started when that cell comes (so a Python server and its Node
 *   twin in one tab group never hold the same port at once); a server nobody needs starts where
 *   it stands.
 * - before each cell, running servers it does not need are stopped (DELETE /api/runs/:id) and
 *   what they printed meanwhile is checked; the rest are stopped and checked at the end.
 * - other cells run to completion with their `stdin`; output and exit code are checked.
 *
 * The runner is the project's own (`sandbox-runner/server.ts`, started in-process on a free port),
 * or an already running one when CONTENT_CHECK_RUNNER_URL is set (e.g. http://127.0.0.1:8787).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkMdx from 'remark-mdx';
import type { Root } from 'mdast';
import pino from 'pino';
import { collectCells, locateCellError, type CollectedCell } from '../../src/cells/collect-cells.ts';
import { contentDir } from '../../src/site/sidebar.ts';
import { outputMatches, SERVER_TIMEOUT_MS } from '../../src/cells/cell-meta.ts';
import type { ExitEvent, RunEvent, RunRequest } from '../../sandbox-runner/protocol.ts';
import { runEvents } from '../../sandbox-runner/ndjson.ts';
import { allowanceMs } from '../time-allowance.ts';

const ROOT = resolve(import.meta.dirname, '../..');
// WORKBOOK_CONTENT_DIR checks another folder of chapters (another lesson set), as the site builds it.
const CONTENT = contentDir(ROOT);
/** How long a server may take to print its first line (more in the cgroup-v2 VM's emulation). */
const SERVER_READY_MS = allowanceMs(8_000);
/** Quiet time before a server is stopped, so that what it prints after a client left is kept. */
const SERVER_SETTLE_MS = 250;
/** Extra time over a run's own limit before the check gives up on the runner. */
const GRACE_MS = allowanceMs(15_000);
/** Pages checked at once (each page is one session; cells inside a page run in order). */
const PAGE_CONCURRENCY = Number(process.env.CONTENT_CHECK_CONCURRENCY ?? 2);
/** Default wall time of a run (the runner's default limit). */
const RUN_TIMEOUT_MS = 10_000;

function findPages(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return findPages(path);
      return entry.name.endsWith('.mdx') || entry.name.endsWith('.md') ? [path] : [];
    })
    .sort();
}

/** Blanks the YAML frontmatter (keeping line numbers), which remark-mdx alone would misread. */
function withoutFrontmatter(source: string): string {
  const match = /^---\r?\n[\s\S]*?\r?\n---\r?\n/.exec(source);
  return match ? match[0].replace(/[^\n]/g, '') + source.slice(match[0].length) : source;
}

function parsePage(file: string): CollectedCell[] {
  const source = withoutFrontmatter(readFileSync(file, 'utf8'));
  const tree = unified().use(remarkParse).use(remarkMdx).parse(source) as Root;
  try {
    return collectCells(tree);
  } catch (error) {
    throw new Error(locateCellError(error, file));
  }
}

/** `content/zh/x.mdx:12:1`: the cell's fence, as editors and terminals link it. */
const at = (file: string, cell: CollectedCell) => `${file}:${cell.node.position?.start.line ?? 0}:${cell.node.position?.start.column ?? 0}`;

// ---------------------------------------------------------------------------------------------
// A small client of the runner's v1 HTTP API.

interface RunHandle {
  /** Resolves with the run id once the `start` event arrived. */
  started: Promise<string>;
  /** Resolves when the first output arrives or the run ends, whichever is first. */
  firstOutput: Promise<void>;
  /** Resolves with the exit event (or a synthetic one when the stream broke). */
  done: Promise<ExitEvent>;
  /** stdout and stderr so far, in arrival order. */
  output(): string;
  /** Time of the last output, for settling. */
  lastOutputAt(): number;
  runId?: string;
}

class RunnerClient {
  constructor(readonly baseUrl: string) {}

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status !== 429 || attempt >= 20) return response;
      await response.body?.cancel();
      const retryAfter = Number(response.headers.get('retry-after') ?? 1);
      await sleep(Math.min(Math.max(retryAfter, 0.2), 5) * 1000);
    }
  }

  async createSession(): Promise<string> {
    const response = await this.request('POST', '/api/sessions');
    if (response.status !== 201) throw new Error(`POST /api/sessions: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { id: string }).id;
  }

  async deleteSession(id: string): Promise<void> {
    const response = await this.request('DELETE', `/api/sessions/${encodeURIComponent(id)}`);
    await response.body?.cancel();
  }

  async stopRun(id: string): Promise<void> {
    const response = await this.request('DELETE', `/api/runs/${encodeURIComponent(id)}`);
    await response.body?.cancel();
  }

  run(request: RunRequest): RunHandle {
    let text = '';
    let lastOutputAt = Date.now();
    let resolveStarted!: (id: string) => void;
    let rejectStarted!: (error: Error) => void;
    let resolveFirst!: () => void;
    const started = new Promise<string>((res, rej) => ((resolveStarted = res), (rejectStarted = rej)));
    started.catch(() => {});
    const firstOutput = new Promise<void>((res) => (resolveFirst = res));
    const handle: RunHandle = {
      started,
      firstOutput,
      done: undefined as unknown as Promise<ExitEvent>,
      output: () => text,
      lastOutputAt: () => lastOutputAt,
    };
    const broken = (message: string): ExitEvent => {
      text += `\n[content check: ${message}]`;
      return { type: 'exit', code: null, signal: null, reason: 'error', durationMs: 0 };
    };
    handle.done = (async () => {
      try {
        const response = await this.request('POST', '/api/run', request);
        if (response.status !== 200 || !response.body) {
          const message = `POST /api/run answered ${response.status}: ${await response.text()}`;
          rejectStarted(new Error(message));
          return broken(message);
        }
        let exit: ExitEvent | undefined;
        const onEvent = (event: RunEvent) => {
          if (event.type === 'start') {
            handle.runId = event.run;
            resolveStarted(event.run);
          } else if (event.type === 'stdout' || event.type === 'stderr') {
            text += event.data;
            lastOutputAt = Date.now();
            if (text.includes('\n')) resolveFirst();
          } else if (event.type === 'exit') {
            exit = event;
          }
        };
        for await (const event of runEvents(response.body)) onEvent(event);
        rejectStarted(new Error('the run stream ended before a start event'));
        return exit ?? broken('the run stream ended without an exit event');
      } catch (error) {
        rejectStarted(error as Error);
        return broken(`the run stream failed: ${(error as Error).message}`);
      } finally {
        resolveFirst();
      }
    })();
    return handle;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((res) => (timer = setTimeout(() => res(onTimeout()), ms))),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Checking one page.

function describeExit(exit: ExitEvent): string {
  const why = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  return `${why}, reason ${exit.reason}`;
}

function report(file: string, cell: CollectedCell, problem: string, actual: string): string {
  return [
    `${at(file, cell)} › cell "${cell.meta.id}" (${cell.meta.language}${cell.meta.server ? ', server' : ''}): ${problem}`,
    '--- expected output ---',
    cell.expectedOutput ?? '(no output block)',
    '--- actual output ---',
    actual,
    '---',
  ].join('\n');
}

async function checkPage(client: RunnerClient, file: string): Promise<string[]> {
  const name = relative(ROOT, file);
  const cells = parsePage(file);
  const failures: string[] = [];
  for (const cell of cells) {
    if (cell.expectedOutput === undefined) {
      failures.push(`${at(name, cell)} › cell "${cell.meta.id}": no \`\`\`output block follows it; every cell declares its expected output (put it right after the cell).`);
    }
  }
  if (cells.length === 0) return failures;

  const session = await client.createSession();
  const running = new Map<string, { cell: CollectedCell; handle: RunHandle }>();
  const neededLater = (index: number, id: string) => cells.slice(index + 1).some((c) => c.meta.needs === id);

  /** The cell's `args` and `files=` blocks, as the page sends them. */
  const asWritten = (cell: CollectedCell) => ({ ...(cell.meta.args ? { args: cell.meta.args } : {}), ...(cell.files ? { files: cell.files } : {}) });

  const checkOutput = (cell: CollectedCell, actual: string) => {
    if (cell.expectedOutput !== undefined && !outputMatches(cell.expectedOutput, actual)) {
      failures.push(report(name, cell, 'output differs', actual));
    }
  };

  const startServer = async (cell: CollectedCell) => {
    const handle = client.run({
      language: cell.meta.language,
      code: cell.code,
      session,
      timeoutMs: cell.meta.timeoutMs ?? SERVER_TIMEOUT_MS,
      ...(cell.meta.stdin !== undefined ? { stdin: cell.meta.stdin } : {}),
      ...asWritten(cell),
    });
    running.set(cell.meta.id, { cell, handle });
    const ready = await withTimeout(handle.firstOutput.then(() => true), SERVER_READY_MS, () => false);
    if (!ready) failures.push(report(name, cell, `server printed no line within ${SERVER_READY_MS} ms`, handle.output()));
  };

  const stopServer = async (id: string) => {
    const entry = running.get(id);
    if (!entry) return;
    running.delete(id);
    const { cell, handle } = entry;
    // Let it finish printing what the last client caused.
    const settleUntil = Date.now() + 3_000;
    while (Date.now() < settleUntil && Date.now() - handle.lastOutputAt() < SERVER_SETTLE_MS) await sleep(50);
    const runId = await handle.started.catch(() => undefined);
    // A server's expected output is what it prints while serving: Stop is Ctrl-C, and what a
    // Python server prints after it (a KeyboardInterrupt traceback) is the reader's to see.
    const served = handle.output();
    if (runId) await client.stopRun(runId);
    const exit = await withTimeout(handle.done, GRACE_MS, () => null);
    if (!exit) {
      failures.push(report(name, cell, 'server did not end after DELETE /api/runs/:id', handle.output()));
      return;
    }
    if (exit.reason !== 'stopped' && exit.reason !== 'exit') {
      failures.push(report(name, cell, `server ended unexpectedly (${describeExit(exit)})`, handle.output()));
    } else if (exit.reason === 'exit' && exit.code !== cell.meta.exitCode) {
      failures.push(report(name, cell, `server exited by itself with ${describeExit(exit)}`, handle.output()));
    }
    checkOutput(cell, exit.reason === 'stopped' ? served : handle.output());
  };

  try {
    for (const [index, cell] of cells.entries()) {
      for (const id of [...running.keys()]) if (cell.meta.needs !== id) await stopServer(id);
      if (cell.meta.server) {
        if (!neededLater(index, cell.meta.id)) await startServer(cell);
        continue;
      }
      if (cell.meta.needs && !running.has(cell.meta.needs)) {
        await startServer(cells.find((c) => c.meta.id === cell.meta.needs)!);
      }
      const timeoutMs = cell.meta.timeoutMs ?? RUN_TIMEOUT_MS;
      const handle = client.run({
        language: cell.meta.language,
        code: cell.code,
        session,
        timeoutMs,
        ...(cell.meta.stdin !== undefined ? { stdin: cell.meta.stdin } : {}),
        ...asWritten(cell),
      });
      const exit = await withTimeout(handle.done, timeoutMs + GRACE_MS, () => null);
      if (!exit) {
        failures.push(report(name, cell, `no exit event within ${timeoutMs + GRACE_MS} ms`, handle.output()));
        const runId = await withTimeout(handle.started, 1000, () => undefined).catch(() => undefined);
        if (runId) await client.stopRun(runId);
        continue;
      }
      if (exit.reason !== 'exit' || exit.code !== cell.meta.exitCode) {
        failures.push(report(name, cell, `expected exit code ${cell.meta.exitCode}, got ${describeExit(exit)}`, handle.output()));
      } else {
        checkOutput(cell, handle.output());
      }
    }
    for (const id of [...running.keys()]) await stopServer(id);
  } finally {
    for (const { handle } of running.values()) {
      const runId = await handle.started.catch(() => undefined);
      if (runId) await client.stopRun(runId).catch(() => {});
    }
    await client.deleteSession(session).catch(() => {});
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------

const pages = findPages(CONTENT);
let client: RunnerClient;
let closeRunner: (() => Promise<void> | void) | undefined;

beforeAll(async () => {
  const external = process.env.CONTENT_CHECK_RUNNER_URL;
  if (external) {
    client = new RunnerClient(external);
  } else {
    const serverModule = join(ROOT, 'sandbox-runner/server.ts');
    if (!existsSync(serverModule)) {
      throw new Error('sandbox-runner/server.ts is missing: the content check runs every cell through the real runner.');
    }
    const { startServer } = (await import(/* @vite-ignore */ serverModule)) as {
      startServer(options: { port: number; staticDir: string | null; logger?: unknown }): Promise<{ url: string; close(): Promise<void> | void }>;
    };
    // The runner logs every run at level info; keep the report readable.
    const runner = await startServer({ port: 0, staticDir: null, logger: pino({ level: 'warn' }) });
    client = new RunnerClient(runner.url);
    closeRunner = () => runner.close();
  }
  const health = await fetch(new URL('/api/health', client.baseUrl));
  if (!health.ok) throw new Error(`runner health check failed: ${health.status} ${await health.text()}`);
}, 60_000);

afterAll(async () => {
  await closeRunner?.();
});

test('there are chapters to check', () => {
  expect(pages.length).toBeGreaterThan(0);
});

// A queue so that at most PAGE_CONCURRENCY pages hold a session at once, while every page is
// still its own test (named after its file).
let slots = PAGE_CONCURRENCY;
const waiting: (() => void)[] = [];
async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  while (slots === 0) await new Promise<void>((res) => waiting.push(res));
  slots--;
  try {
    return await work();
  } finally {
    slots++;
    waiting.shift()?.();
  }
}

describe.concurrent('every cell of every chapter runs as published', () => {
  test.each(pages.map((file) => [relative(ROOT, file), file] as const))('%s', async (_name, file) => {
    const failures = await withSlot(() => checkPage(client, file));
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 600_000);
});
