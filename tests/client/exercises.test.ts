/**
 * The exercise format without a runner: the checker's output read into a verdict, the folder's
 * validation, and what the build makes of an `exercise=` cell (a Check button, a results list,
 * no checker in the page).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkMdx from 'remark-mdx';
import type { Root } from 'mdast';
import { isReadyLine, verdictOf } from '../../src/client/exercise-results.ts';
import { exerciseBundle, exerciseIds, loadExercise } from '../../src/cells/exercises.ts';
import { remarkCells } from '../../src/cells/remark-cells.ts';

const CONTENT = resolve(import.meta.dirname, '../../content');

describe('verdictOf', () => {
  const keys = ['one', 'two', 'three'];

  test('every listed check ok: passed; other lines are ignored', () => {
    const stdout = 'starting\n{"check": "two", "ok": true}\n{"check": "one", "ok": true, "detail": "got b\'x\'"}\nnot json {\n{"check": "three", "ok": true}\n';
    const verdict = verdictOf(stdout, keys);
    expect(verdict.allPassed).toBe(true);
    expect(verdict.results.map((result) => result.key)).toEqual(keys);
    expect(verdict.results[0].detail).toBe("got b'x'");
  });

  test('a failed or unreported check fails the verdict; unknown keys are reported apart', () => {
    const verdict = verdictOf('{"check": "one", "ok": true}\n{"check": "two", "ok": false, "detail": "timed out"}\n{"check": "tow", "ok": true}\n', keys);
    expect(verdict.allPassed).toBe(false);
    expect(verdict.passed).toBe(1);
    expect(verdict.results.map((result) => result.ok)).toEqual([true, false, null]);
    expect(verdict.unknown).toEqual(['tow']);
  });

  test('a line without a boolean ok is not a check line', () => {
    expect(verdictOf('{"check": "one", "ok": "yes"}\n', ['one']).results[0].ok).toBeNull();
  });

  test('the ready line of a client exercise', () => {
    expect(isReadyLine('{"ready": true}')).toBe(true);
    expect(isReadyLine('{"ready": false}')).toBe(false);
    expect(isReadyLine('ready')).toBe(false);
  });
});

describe('exercise folders', () => {
  let scratch: string | undefined;
  afterEach(() => scratch && rmSync(scratch, { recursive: true, force: true }));

  const folder = (files: Record<string, string>) => {
    scratch = mkdtempSync(join(tmpdir(), 'exercises-'));
    const dir = join(scratch, 'exercises', 'demo');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return scratch;
  };
  const valid = { kind: 'server', checks: [{ key: 'reply', title: { zh: '回复', en: 'Replies' } }] };

  test('the workbook has its exercises, each loadable, and the page bundle leaves the answers out', () => {
    expect(exerciseIds(CONTENT).length).toBeGreaterThanOrEqual(9);
    for (const id of exerciseIds(CONTENT)) {
      const bundle = exerciseBundle(loadExercise(id, CONTENT));
      expect(Object.keys(bundle).sort()).toEqual(['checker', 'checks', 'files', 'id', 'kind', 'language', 'timeoutMs']);
      expect(Object.keys(bundle.files)).toContain('checklib.py');
    }
  });

  test('a missing file is named', () => {
    const content = folder({ 'checks.json': JSON.stringify(valid), 'check.py': '', 'solution.py': '' });
    expect(() => loadExercise('demo', content)).toThrow(/wrong\.py is missing/);
  });

  test('a title missing in one language, or a repeated key, is named', () => {
    const noZh = { kind: 'server', checks: [{ key: 'reply', title: { en: 'Replies' } }] };
    let content = folder({ 'checks.json': JSON.stringify(noZh), 'check.py': '', 'solution.py': '', 'wrong.py': '' });
    expect(() => loadExercise('demo', content)).toThrow(/checks\.json: checks\.0\.title\.zh/);
    rmSync(content, { recursive: true });
    content = folder({ 'checks.json': JSON.stringify({ ...valid, checks: [valid.checks[0], valid.checks[0]] }), 'check.py': '', 'solution.py': '', 'wrong.py': '' });
    expect(() => loadExercise('demo', content)).toThrow(/lists the check "reply" twice/);
  });
});

describe('an exercise= cell in the build', () => {
  const page = (exercise: string) =>
    ['```python run id=ex server exercise=' + exercise, 'print("listening")', '```', '', '```output', 'listening', '```', ''].join('\n');
  const build = (markdown: string) => {
    const tree = unified().use(remarkParse).use(remarkMdx).parse(markdown) as Root;
    remarkCells({ contentDir: CONTENT })(tree, { path: join(CONTENT, 'zh', 'demo.mdx') });
    return JSON.stringify(tree);
  };

  test('gets a Check button naming the exercise, and a place for the results; the checker stays out', () => {
    const html = build(page('length-prefix'));
    expect(html).toContain('"name":"data-action","value":"check"');
    expect(html).toContain('"name":"data-exercise","value":"length-prefix"');
    expect(html).toContain('wb-checks');
    expect(html).toContain('检查');
    expect(html).not.toContain('checklib');
  });

  test('naming an exercise that has no folder fails the build, saying so', () => {
    expect(() => build(page('no-such-exercise'))).toThrow(/no-such-exercise.*checks\.json is missing/);
  });
});
