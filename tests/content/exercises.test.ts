/**
 * Every graded exercise (content/exercises/<id>/, found on disk: a new one is checked without
 * touching this file), through the real runner, the way the page's Check button runs it: the
 * reader's program and the hidden checker in one session; for a `server` exercise the program
 * first and the checker once it printed its first line, for a `client` exercise the checker
 * first and the program once the checker said `{"ready": true}`.
 *
 * The reference solution must pass every check; the wrong answer (and the starting code of the
 * page's cell) must fail at least one. Also:
 * every exercise is used by a cell of both languages (`exercise=<id>`), with the same language.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pino from 'pino';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkMdx from 'remark-mdx';
import type { Root } from 'mdast';
import { exerciseIds, loadExercise, type Exercise } from '../../src/cells/exercises.ts';
import { collectCells } from '../../src/cells/collect-cells.ts';
import { isReadyLine, verdictOf, type Verdict } from '../../src/client/exercise-results.ts';
import { startServer } from '../../sandbox-runner/server.ts';
import { runEvents } from '../../sandbox-runner/ndjson.ts';
import type { ExitEvent, RunRequest } from '../../sandbox-runner/protocol.ts';
import { LOCALES } from '../../src/i18n/locales.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CONTENT = join(ROOT, 'content');
/** Generous: the machine is shared; these bound only how long a broken program is waited for. */
const READY_MS = 15_000;
const PROGRAM_TIMEOUT_MS = 60_000;

let baseUrl: string;
let close: () => Promise<void> | void = () => {};

beforeAll(async () => {
  const server = await startServer({ port: 0, staticDir: null, logger: pino({ level: 'warn' }) });
  baseUrl = server.url;
  close = () => server.close();
});
afterAll(() => close());

/** A request to the runner, retried while it answers 429 (its per-client quotas), as cells.test.ts does. */
async function request(method: string, path: string, body?: unknown): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status !== 429 || attempt >= 20) return response;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

interface Run {
  /** stdout so far. */
  stdout(): string;
  /** Everything printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves once a line of stdout satisfies `test` (or the run ends: false). */
  line(test: (line: string) => boolean): Promise<boolean>;
  done: Promise<ExitEvent | null>;
  stop(): Promise<void>;
}

function run(runRequest: RunRequest): Run {
  let stdout = '';
  let output = '';
  let runId: string | undefined;
  const waiters: Array<{ test: (line: string) => boolean; resolve: (ok: boolean) => void }> = [];
  const done = (async () => {
    const response = await request('POST', '/api/run', runRequest);
    if (response.status !== 200 || !response.body) throw new Error(`POST /api/run answered ${response.status}: ${await response.text()}`);
    let exit: ExitEvent | null = null;
    for await (const event of runEvents(response.body)) {
      if (event.type === 'start') runId = event.run;
      else if (event.type === 'exit') exit = event;
      else {
        output += event.data;
        if (event.type === 'stdout') stdout += event.data;
        for (const waiter of [...waiters]) {
          if (stdout.split('\n').slice(0, -1).some(waiter.test)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(true);
          }
        }
      }
    }
    return exit;
  })();
  done.catch(() => {}).finally(() => waiters.splice(0).forEach((waiter) => waiter.resolve(false)));
  return {
    stdout: () => stdout,
    output: () => output,
    done,
    line: (test) => new Promise((resolve) => {
      waiters.push({ test, resolve });
      setTimeout(() => resolve(false), READY_MS);
    }),
    async stop() {
      if (runId) await request('DELETE', `/api/runs/${runId}`).then((response) => response.body?.cancel());
      await done.catch(() => {});
    },
  };
}

/** Runs `program` against the exercise's checker, as the page does; returns the verdict. */
async function grade(exercise: Exercise, program: string): Promise<{ verdict: Verdict; log: string }> {
  const created = await request('POST', '/api/sessions');
  if (created.status !== 201) throw new Error(`POST /api/sessions answered ${created.status}: ${await created.text()}`);
  const session = ((await created.json()) as { id: string }).id;
  const reader = (): Run => run({ language: exercise.language, code: program, session, stdin: '', timeoutMs: PROGRAM_TIMEOUT_MS });
  const checker = (): Run => run({ language: 'python', code: exercise.checker, files: exercise.files, session, stdin: '', timeoutMs: exercise.timeoutMs });
  let program_: Run | undefined;
  let checker_: Run | undefined;
  try {
    if (exercise.kind === 'server') {
      program_ = reader();
      await program_.line(() => true);
      checker_ = checker();
      await checker_.done;
    } else {
      checker_ = checker();
      const listening = await checker_.line(isReadyLine);
      if (listening) {
        program_ = reader();
        await program_.done;
      }
      await checker_.done;
    }
    const verdict = verdictOf(checker_.stdout(), exercise.checks.map((check) => check.key));
    return { verdict, log: `--- checker ---\n${checker_.output()}\n--- program ---\n${program_?.output() ?? '(not started)'}` };
  } finally {
    await program_?.stop();
    await checker_?.stop();
    await request('DELETE', `/api/sessions/${session}`).then((response) => response.body?.cancel());
  }
}

/** The `exercise=` cells of every page, by locale. */
interface ExerciseCell {
  page: string;
  locale: string;
  id: string;
  language: string;
  /** The starting code the page offers. */
  code: string;
}

function exerciseCells(): ExerciseCell[] {
  const found: ExerciseCell[] = [];
  for (const { id: locale } of LOCALES) {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.mdx') ? [join(dir, entry.name)] : [],
      );
    for (const file of walk(join(CONTENT, locale))) {
      const source = readFileSync(file, 'utf8').replace(/^---\n[\s\S]*?\n---\n/, (front) => front.replace(/[^\n]/g, ''));
      const tree = unified().use(remarkParse).use(remarkMdx).parse(source) as Root;
      for (const cell of collectCells(tree)) {
        if (cell.meta.exercise) found.push({ page: relative(CONTENT, file), locale, id: cell.meta.exercise, language: cell.meta.language, code: cell.code });
      }
    }
  }
  return found;
}

const ids = exerciseIds(CONTENT);

test('there are exercises, and each is used by a cell in every language', () => {
  expect(ids.length).toBeGreaterThan(0);
  const cells = exerciseCells();
  for (const id of ids) {
    const exercise = loadExercise(id, CONTENT);
    for (const { id: locale } of LOCALES) {
      const uses = cells.filter((cell) => cell.id === id && cell.locale === locale);
      expect(uses.length, `exercise "${id}" has no exercise=${id} cell in ${locale}`).toBeGreaterThan(0);
      for (const use of uses) expect(use.language, `${use.page}`).toBe(exercise.language);
    }
  }
  for (const cell of cells) expect(ids, `${cell.page} names exercise "${cell.id}", which has no folder`).toContain(cell.id);
});

describe.each(ids)('exercise %s', (id) => {
  const exercise = () => loadExercise(id, CONTENT);

  test('the reference solution passes every check', async () => {
    const { verdict, log } = await grade(exercise(), exercise().solution);
    expect(verdict.unknown, `checker reported keys checks.json does not list\n${log}`).toEqual([]);
    expect(verdict.results.filter((result) => result.ok !== true), log).toEqual([]);
  }, 120_000);

  test('the wrong answer fails at least one check', async () => {
    const { verdict, log } = await grade(exercise(), exercise().wrong);
    expect(verdict.unknown, log).toEqual([]);
    expect(verdict.allPassed, `wrong.${exercise().language === 'python' ? 'py' : 'mjs'} passed every check\n${log}`).toBe(false);
    // It failed because the checker judged it, not because the checker itself broke.
    expect(verdict.results.some((result) => result.ok !== null), log).toBe(true);
  }, 120_000);

  test('the starting code on the page does not pass already', async () => {
    for (const cell of exerciseCells().filter((candidate) => candidate.id === id && candidate.locale === LOCALES[0].id)) {
      const { verdict, log } = await grade(exercise(), cell.code);
      expect(verdict.allPassed, `${cell.page}: the exercise's starting code passes every check\n${log}`).toBe(false);
    }
  }, 120_000);
});
