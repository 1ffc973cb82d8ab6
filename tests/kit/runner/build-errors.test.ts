/**
 * Errors point at the file and line: a page with a bad cell fails `astro build` with
 * `<content>/zh/x.mdx:LINE:COL: <what is wrong and what to do>`, and cells that differ between
 * the languages fail the structure check with the same kind of place. Each case is a small
 * lesson set of its own in a scratch folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { buildSite, ROOT, scratchContent, write } from '../support.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const FRONTMATTER = (title: string) => `---\ntitle: ${title}\ndescription: d\nsidebar: { order: 1 }\n---\n`;

/** A one-page lesson set: `body` in zh (its cell fences on the lines it says), `enBody` in en. */
function lessonSet(body: string, enBody = cell('python run id=hello')): string {
  const content = scratchContent();
  dirs.push(content);
  write(join(content, 'zh', 'x.mdx'), `${FRONTMATTER('页')}\n${body}`);
  write(join(content, 'en', 'x.mdx'), `${FRONTMATTER('Page')}\n${enBody}`);
  return content;
}

const cell = (fence: string, code = 'print(1)') => `\`\`\`${fence}\n${code}\n\`\`\`\n\n\`\`\`output\n1\n\`\`\`\n`;
/** Line 7 is the first line after the frontmatter (6 lines) and the blank line; a cell() takes 8 lines. */
const FIRST_LINE = 7;

describe('a bad cell fails the build at its line, saying what to do', () => {
  test.each([
    ['a bad id', cell('python run id=Bad_Id'), FIRST_LINE, 'Runnable cell "Bad_Id" has bad metadata: id: id must be lower-case letters, digits and dashes, like id=tcp-server'],
    ['an unknown option', cell('python run id=hello colour=red'), FIRST_LINE, 'Runnable cell "hello": unknown option "colour"; the options are id, group, server, needs, stdin, timeout, preview, exit'],
    ['a language that does not run', `Text.\n\n${cell('bash run id=shell', 'echo 1')}`, FIRST_LINE + 2, 'Runnable cell "shell": language "bash" is not runnable; use one of python'],
    ['needs= naming no server', `${cell('python run id=srv')}\n${cell('python run id=cli needs=srv')}`, FIRST_LINE + 8, 'Cell "cli" needs "srv", which is not a server cell on this page: mark that cell `server`'],
    ['a repeated id', `${cell('python run id=twice')}\n${cell('python run id=twice')}`, FIRST_LINE + 8, 'Two runnable cells share the id "twice"; give each an id= of its own.'],
  ])('%s', (_name, body, line, message) => {
    const content = lessonSet(body);
    const outDir = mkdtempSync(join(tmpdir(), 'kit-build-errors-'));
    dirs.push(outDir);
    const build = buildSite(content, outDir);
    expect(build.status).not.toBe(0);
    expect(build.log).toContain(`${join(content, 'zh', 'x.mdx')}:${line}:1: ${message}`);
  });
});

describe('the structure check names the cell that is out of step', () => {
  test('an id that differs and a missing output block, each at its file:line', () => {
    const content = lessonSet(
      `${cell('python run id=first')}\n${cell('python run id=second')}`,
      `${cell('python run id=first-renamed')}\n\`\`\`python run id=second\nprint(1)\n\`\`\`\n`,
    );
    const check = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', 'content', 'tests/content/structure.test.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WORKBOOK_CONTENT_DIR: content, NO_COLOR: '1', FORCE_COLOR: '0' },
      timeout: 120_000,
    });
    const log = `${check.stdout}\n${check.stderr}`;
    expect(check.status).not.toBe(0);
    const zh = join(content, 'zh', 'x.mdx');
    const en = join(content, 'en', 'x.mdx');
    expect(log).toContain(`${zh}:${FIRST_LINE}:1: cell "first" is in zh but not in en: copy it`);
    expect(log).toContain(`${en}:${FIRST_LINE}:1: cell "first-renamed" is in en but not in zh`);
    expect(log).toContain(`${en}:${FIRST_LINE + 8}:1: cell "second" has no output block after it, but its twin has (${zh}:${FIRST_LINE + 8}:1)`);
  });
});
