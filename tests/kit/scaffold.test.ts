/**
 * new-page on a scratch copy of the content: the pair it writes, its place in the sidebar, its
 * cell (read back with the site's own cell parser), the group files of a new folder, and the
 * errors a translator can meet. Also the import's errors that come before any cell runs.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readPage, sidebarOrder } from '../../scripts/kit/page.ts';
import { FIXTURES, read, runScript, scratchContent, write } from './support.ts';

let content: string;
const newPage = (...args: string[]) => runScript('new-page.ts', [...args, '--content', content]);

beforeEach(() => {
  content = scratchContent();
  // A folder with pages, as a translator's copy of the workbook has.
  for (const [order, name] of [[3, 'bind'], [12, 'listen']] as const) {
    for (const locale of ['zh', 'en']) write(join(content, locale, 'methods', `${name}.mdx`), `---\ntitle: ${name}\nsidebar: { order: ${order} }\n---\n\ntext\n`);
  }
  for (const locale of ['zh', 'en']) write(join(content, locale, 'methods', '_group.json'), '{ "label": { "zh": "方法", "en": "Methods" }, "order": 30 }\n');
  write(join(content, 'zh', 'glossary.mdx'), '---\ntitle: 术语表\nsidebar: { order: 90 }\n---\n\ntext\n');
});
afterEach(() => rmSync(content, { recursive: true, force: true }));

describe('npm run new-page', () => {
  test('writes both languages with frontmatter, one sample cell and its output, after the last page of the folder', () => {
    const result = newPage('methods/shutdown', '--title', 'sk.shutdown(how)');
    expect(result.status, result.stderr).toBe(0);
    for (const locale of ['zh', 'en']) {
      const page = readPage(join(content, locale, 'methods', 'shutdown.mdx'));
      expect(sidebarOrder(page.frontmatter)).toBe(13);
      expect(page.frontmatter).toContain('title: "sk.shutdown(how)"');
      expect(page.frontmatter).toMatch(/^description: "\S.+"$/m);
      expect(page.cells.map((cell) => [cell.meta.id, cell.meta.language, cell.expectedOutput])).toEqual([['shutdown-sample', 'python', '你好, socket']]);
    }
    // Nothing new to group: methods/ already is one.
    expect(result.stdout).not.toContain('_group.json');
  });

  test('a page at the top level goes after the last top-level entry (a page or a group)', () => {
    write(join(content, 'zh', 'late', '_group.json'), '{ "label": { "zh": "后", "en": "Late" }, "order": 95 }\n');
    expect(newPage('summary').status).toBe(0);
    expect(sidebarOrder(readPage(join(content, 'zh', 'summary.mdx')).frontmatter)).toBe(96);
  });

  test('a new folder gets a sidebar group in both languages, placed after the entries beside it', () => {
    const result = newPage('lessons/echo');
    expect(result.status, result.stderr).toBe(0);
    for (const locale of ['zh', 'en']) {
      expect(JSON.parse(read(join(content, locale, 'lessons', '_group.json')))).toEqual({ label: { zh: 'lessons', en: 'lessons' }, order: 91 });
    }
    expect(sidebarOrder(readPage(join(content, 'zh', 'lessons', 'echo.mdx')).frontmatter)).toBe(1);
  });

  test('refuses to overwrite, unless --force', () => {
    expect(newPage('methods/shutdown').status).toBe(0);
    write(join(content, 'zh', 'methods', 'shutdown.mdx'), 'mine');
    const again = newPage('methods/shutdown');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/methods\/shutdown\.mdx already exists; pass --force to overwrite it/);
    expect(read(join(content, 'zh', 'methods', 'shutdown.mdx'))).toBe('mine');
    expect(newPage('methods/shutdown', '--force').status).toBe(0);
    expect(read(join(content, 'zh', 'methods', 'shutdown.mdx'))).toContain('run id=shutdown-sample');
  });

  test.each([
    ['../outside', 'bad segment ".."'],
    ['zh/methods/x', 'starts with a locale'],
    ['methods/两个', 'bad segment "两个"'],
  ])('rejects the path %s', (path, message) => {
    const result = newPage(path);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
  });

  test('says which path cannot be written', () => {
    writeFileSync(join(content, 'zh', 'blocked'), 'a file where a folder should be');
    const result = newPage('blocked/page');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is a file, not a folder');
  });
});

describe('npm run import: errors before anything runs', () => {
  const importArticle = (...args: string[]) => runScript('import-article.ts', [...args, '--content', content]);

  test('a missing article', () => {
    const result = importArticle(join(FIXTURES, 'nope.txt'), '--into', 'x');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nope.txt does not exist; give the path of a .txt or .md file');
  });

  test('no --into', () => {
    const result = importArticle(join(FIXTURES, 'echo-server.zh.md'));
    expect(result.stderr).toContain('--into <path> is missing');
  });

  test('an existing target is refused without --force, and left as it was', () => {
    const result = importArticle(join(FIXTURES, 'echo-server.zh.md'), '--into', 'methods/bind');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/methods\/bind\.mdx already exists; pass --force/);
    expect(read(join(content, 'zh', 'methods', 'bind.mdx'))).toContain('title: bind');
  });

  test('a target that cannot be written (a file where its folder should be)', () => {
    writeFileSync(join(content, 'en', 'blocked'), 'a file');
    const result = importArticle(join(FIXTURES, 'echo-server.zh.md'), '--into', 'blocked/page');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Cannot write ${join(content, 'en', 'blocked', 'page.mdx')}: ${join(content, 'en', 'blocked')} is a file, not a folder`);
    expect(existsSync(join(content, 'zh', 'blocked'))).toBe(false);
  });
});
