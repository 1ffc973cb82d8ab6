/**
 * translation-status on a scratch content folder: a fresh pair is up to date; an edited zh
 * paragraph (on disk, never committed) makes its en twin outdated; a missing en page is
 * missing; a cell id that differs is out of step; `--mark` brings a page back in step;
 * `--check` exits non-zero while anything is wrong.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { awaitingTwin } from '../../scripts/kit/en-twin.ts';
import { pageStatus, verdictOf } from '../../scripts/kit/status.ts';
import { read, runScript, scratchContent, write } from './support.ts';

let content: string;
const zhFile = (path: string) => join(content, 'zh', `${path}.mdx`);
const enFile = (path: string) => join(content, 'en', `${path}.mdx`);
/** `file:line:1` of the fence line that contains `text`. */
const fenceAt = (file: string, text: string) => `${file}:${read(file).split('\n').findIndex((line) => line.includes(text)) + 1}:1`;
const status = (...args: string[]) => runScript('translation-status.ts', ['--content', content, ...args]);

beforeEach(() => {
  content = scratchContent();
  for (const path of ['guide/first', 'guide/second']) {
    const made = runScript('new-page.ts', [path, '--content', content]);
    expect(made.status, made.stderr).toBe(0);
  }
});
afterEach(() => rmSync(content, { recursive: true, force: true }));

describe('translation-status', () => {
  test('a fresh scaffold is up to date, and --check passes', () => {
    const result = status('--check');
    expect(result.stdout).toMatch(/^ {2}guide\/first\s+zh ✓ {2}en ✓ {2}up to date \(4\/4 units\)$/m);
    expect(result.stdout).toContain('2 pages, 0 not up to date.');
    expect(result.status).toBe(0);
  });

  test('a zh paragraph edited on disk marks its en twin outdated, naming the unit and line; --mark fixes it', () => {
    const zh = read(zhFile('guide/first'));
    write(zhFile('guide/first'), zh.replace('这里写这一页的正文。', '这里写这一页的正文（改过了）。'));
    const result = status('--check');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^! guide\/first\s+zh ✓ {2}en ✓ {2}outdated: 1 changed, 0 new in zh, 0 deleted in zh$/m);
    expect(result.stdout).toMatch(/unit 2 \(zh line 7\) changed since en line 8 was translated: 这里写这一页的正文（改过了）/);
    expect(status('--mark', 'en/guide/first').status).toBe(0);
    expect(status('--check').status).toBe(0);
  });

  test('re-wrapping a zh paragraph (white space only) does not make it outdated', () => {
    const zh = read(zhFile('guide/first'));
    write(zhFile('guide/first'), zh.replace('下面的单元格可以直接运行；', '\n下面的单元格可以直接运行；'));
    expect(status('--check').status).toBe(0);
  });

  test('a page without its en twin is missing', () => {
    rmSync(enFile('guide/second'));
    const result = status('--check');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^! guide\/second\s+zh ✓ {2}en ✗ {2}missing en$/m);
  });

  test('a cell id that differs between the languages is out of step', () => {
    write(enFile('guide/first'), read(enFile('guide/first')).replace('run id=first-sample', 'run id=first-example'));
    const result = status('--check');
    expect(result.status).toBe(1);
    // Each names the file and line of the cell's fence, and what to do.
    expect(result.stdout).toContain(`cells: ${fenceAt(zhFile('guide/first'), 'run id=first-sample')}: cell "first-sample" is in zh but not in en: copy it`);
    expect(result.stdout).toContain(`cells: ${fenceAt(enFile('guide/first'), 'run id=first-example')}: cell "first-example" is in en but not in zh: give it the id of its zh twin`);
  });

  test('a cell option that differs is out of step', () => {
    write(enFile('guide/first'), read(enFile('guide/first')).replace('run id=first-sample', 'run id=first-sample exit=1'));
    const result = status('--check');
    expect(result.stdout).toContain(`cells: ${fenceAt(enFile('guide/first'), 'run id=first-sample')}: cell "first-sample": option exitCode is 0 in zh, 1 in en: make the fence line the same as zh's (${fenceAt(zhFile('guide/first'), 'run id=first-sample')})`);
  });

  test('a cell without the output block its twin has is out of step, naming the line', () => {
    write(enFile('guide/first'), read(enFile('guide/first')).replace(/\n```output\n[\s\S]*?\n```\n/, '\n'));
    const result = status('--check');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`cells: ${fenceAt(enFile('guide/first'), 'run id=first-sample')}: cell "first-sample" has no output block after it, but its twin has`);
  });

  test('bad cell metadata is reported with the file and line, also for a page in one language', () => {
    rmSync(enFile('guide/second'));
    write(zhFile('guide/second'), read(zhFile('guide/second')).replace('run id=second-sample', 'run id=second-sample colour=red'));
    const result = status('--check');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${fenceAt(zhFile('guide/second'), 'run id=second-sample')}: Runnable cell "second-sample": unknown option "colour"; the options are id, group,`);
  });

  test('a paragraph added to zh has no translation; --mark refuses until one exists', () => {
    write(zhFile('guide/first'), read(zhFile('guide/first')).replace('## 示例', '新加的一段。\n\n## 示例'));
    const result = status('--check');
    expect(result.stdout).toMatch(/outdated: 0 changed, 1 new in zh/);
    expect(result.stdout).toContain('unit 3 (zh line 9) has no translation in en: 新加的一段。');
    const mark = status('--mark', 'en/guide/first');
    expect(mark.status).toBe(1);
    expect(mark.stderr).toContain('has no translation of unit 3');
  });

  test('an imported en twin awaits translation; marking it refuses while the asides remain', () => {
    const zh = read(zhFile('guide/second'));
    write(enFile('guide/second'), awaitingTwin(zhFile('guide/second'), zh));
    const page = pageStatus(content, 'guide/second');
    expect(verdictOf(page)).toBe('awaiting');
    expect(page.translation!.units.map((u) => u.state)).toEqual(['awaiting', 'awaiting', 'awaiting', 'awaiting']);
    const mark = status('--mark', 'en/guide/second');
    expect(mark.status).toBe(1);
    expect(mark.stderr).toContain('待翻译 / Awaiting translation');
    // One unit translated by hand, then marked on its own.
    const en = read(enFile('guide/second'));
    write(enFile('guide/second'), en.replace(/:::caution\[待翻译 \/ Awaiting translation\]\n(这里写这一页的正文。[^\n]*)\n:::/, 'The text of the page.'));
    expect(status('--mark', 'en/guide/second', '--unit', '2').status).toBe(0);
    expect(pageStatus(content, 'guide/second').translation!.units.map((u) => u.state)).toEqual(['awaiting', 'translated', 'awaiting', 'awaiting']);
  });

  test('bad arguments say what to give', () => {
    expect(status('--mark', 'zh/guide/first').stderr).toContain('--mark takes an en page, like en/methods/shutdown');
    expect(status('--unit', '2').stderr).toContain('--unit and --force go with --mark');
    expect(runScript('translation-status.ts', ['--content', join(content, 'nope')]).stderr).toContain('does not exist; pass --content <dir>');
  });
});
