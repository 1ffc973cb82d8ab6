/**
 * Graded exercises, read from the content folder (docs/authoring.md, "Exercises"). Each exercise
 * is a folder `<content>/exercises/<id>/`:
 *
 *     checks.json    what kind of program the reader writes, and each check's zh/en title
 *     check.py       the hidden checker, run in the reader's session after (server) or before
 *                    (client) the reader's program; prints one JSON line per check
 *     solution.py    a reference solution: CI proves it passes every check
 *     wrong.py       an obviously wrong answer: CI proves it fails at least one
 *
 * and `<content>/exercises/_lib/*.py` are helper modules every checker may import (given to the
 * checker's run as `files`). Used by the build (the cell's `exercise=` option, the JSON the page
 * fetches when the reader presses Check) and by the content check (tests/content/exercises.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LANGUAGES } from '../../sandbox-runner/protocol.ts';
import { LOCALES } from '../i18n/locales.ts';
import { contentDir } from '../site/sidebar.ts';

const title = z.object(Object.fromEntries(LOCALES.map((locale) => [locale.id, z.string().min(1)])) as Record<string, z.ZodString>);

export const checksFileSchema = z.object({
  /** `server`: the reader writes a server, the checker is its clients; `client`: the other way round. */
  kind: z.enum(['server', 'client']),
  /** Language of the reader's program (and of solution/wrong); the checker is Python. */
  language: z.enum(LANGUAGES).default('python'),
  /** Wall time of the checker's run, in milliseconds. */
  timeoutMs: z.number().int().positive().max(60_000).default(20_000),
  checks: z
    .array(z.object({ key: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a check key is lower-case letters, digits and dashes'), title }))
    .min(1),
});

export type ChecksFile = z.infer<typeof checksFileSchema>;

/** What the page fetches when the reader presses Check: `/exercises/<id>.json`. */
export interface ExerciseBundle extends ChecksFile {
  id: string;
  /** The checker's code and the helper modules it imports. */
  checker: string;
  files: Record<string, string>;
}

export interface Exercise extends ExerciseBundle {
  dir: string;
  solution: string;
  wrong: string;
}

const EXTENSIONS = { python: 'py', javascript: 'mjs', typescript: 'ts' } as const;

export function exercisesDir(content: string = contentDir()): string {
  return join(content, 'exercises');
}

/** Ids of every exercise (folders not starting with `_`), sorted. */
export function exerciseIds(content?: string): string[] {
  const dir = exercisesDir(content);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

function helperFiles(content?: string): Record<string, string> {
  const lib = join(exercisesDir(content), '_lib');
  if (!existsSync(lib)) return {};
  return Object.fromEntries(
    readdirSync(lib)
      .filter((name) => name.endsWith('.py'))
      .sort()
      .map((name) => [name, readFileSync(join(lib, name), 'utf8')]),
  );
}

/** Reads and validates one exercise; throws naming the folder and what is wrong or missing. */
export function loadExercise(id: string, content?: string): Exercise {
  const dir = join(exercisesDir(content), id);
  const need = (name: string) => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new Error(`Exercise "${id}": ${path} is missing (an exercise folder has checks.json, check.py, solution.*, wrong.*).`);
    return readFileSync(path, 'utf8');
  };
  let json: unknown;
  try {
    json = JSON.parse(need('checks.json'));
  } catch (error) {
    if ((error as Error).message.includes('is missing')) throw error;
    throw new Error(`Exercise "${id}": checks.json is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = checksFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');
    throw new Error(`Exercise "${id}": checks.json: ${problems}`);
  }
  const keys = parsed.data.checks.map((check) => check.key);
  const repeated = keys.find((key, index) => keys.indexOf(key) !== index);
  if (repeated) throw new Error(`Exercise "${id}": checks.json lists the check "${repeated}" twice.`);
  const ext = EXTENSIONS[parsed.data.language];
  return {
    id,
    dir,
    ...parsed.data,
    checker: need('check.py'),
    files: helperFiles(content),
    solution: need(`solution.${ext}`),
    wrong: need(`wrong.${ext}`),
  };
}

/** The part of an exercise the page gets (no solution, no wrong answer). */
export function exerciseBundle(exercise: Exercise): ExerciseBundle {
  const { id, kind, language, timeoutMs, checks, checker, files } = exercise;
  return { id, kind, language, timeoutMs, checks, checker, files };
}
