/**
 * `npm run import` end to end, with the real runner (real bubblewrap): a Chinese article, in
 * Markdown, in plain text, and a trimmed excerpt of the seed, imported into a scratch content
 * folder. The pages must keep the article's structure, the en twin must match the zh page cell
 * for cell, and every cell must then pass the content check's own comparison (its recorded
 * output and exit code) when run again.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { outputMatches } from '../../../src/cells/cell-meta.ts';
import { readPage, type Page } from '../../../scripts/kit/page.ts';
import { runPageCells } from '../../../scripts/kit/run-cells.ts';
import { pageStatus, verdictOf } from '../../../scripts/kit/status.ts';
import { compareCells } from '../../../scripts/kit/translation.ts';
import { startTestRunner } from '../../runner/support.ts';
import { FIXTURES, runScriptAsync, scratchContent } from '../support.ts';

let runner: RunningServer;
let content: string;

beforeAll(async () => {
  runner = await startTestRunner();
  content = scratchContent();
});
afterAll(async () => {
  await runner?.close();
  if (content) rmSync(content, { recursive: true, force: true });
});

/** The content check's verdict on a page's cells, run once more. */
async function recheck(page: Page): Promise<string[]> {
  const failures: string[] = [];
  const results = await runPageCells(runner.url, page.cells);
  for (const [k, cell] of page.cells.entries()) {
    const { exit, output } = results[k];
    if (cell.meta.server) {
      if (exit.reason !== 'stopped' && !(exit.reason === 'exit' && exit.code === cell.meta.exitCode)) failures.push(`${cell.meta.id}: server ended with ${exit.reason}`);
    } else if (exit.reason !== 'exit' || exit.code !== cell.meta.exitCode) {
      failures.push(`${cell.meta.id}: expected exit ${cell.meta.exitCode}, got ${exit.reason} ${exit.code}`);
    }
    if (!outputMatches(cell.expectedOutput ?? '', output)) failures.push(`${cell.meta.id}: output differs\n--- expected\n${cell.expectedOutput}\n--- actual\n${output}`);
  }
  return failures;
}

async function importInto(file: string, path: string, ownRunner: boolean) {
  const result = await runScriptAsync('import-article.ts', [join(FIXTURES, file), '--into', path, '--content', content, ...(ownRunner ? [] : ['--runner', runner.url])]);
  expect(result.status, result.stderr + result.stdout).toBe(0);
  return { zh: readPage(join(content, 'zh', `${path}.mdx`)), en: readPage(join(content, 'en', `${path}.mdx`)), stdout: result.stdout };
}

describe('import a Markdown article (the import starts its own runner)', () => {
  let pages: Awaited<ReturnType<typeof importInto>>;
  beforeAll(async () => {
    pages = await importInto('echo-server.zh.md', 'lessons/echo-md', true);
  });

  test('keeps headings, paragraphs and lists; code fences become cells with roles; bash stays plain code', () => {
    const { zh } = pages;
    expect(zh.frontmatter).toContain('title: "回声服务器"');
    expect(zh.source).toMatch(/^## 服务端$/m);
    expect(zh.source).toMatch(/^1\. 连接服务端；\n2\. 发送一句话；\n3\. 打印回声。$/m);
    expect(zh.source).toContain('```bash\npython3 server.py\n```');
    expect(zh.cells.map((c) => [c.meta.id, c.meta.language, c.meta.server, c.meta.needs ?? null])).toEqual([
      ['server', 'python', true, null],
      ['client', 'python', false, 'server'],
      ['node-js', 'javascript', false, null],
    ]);
  });

  test('records what each cell printed, for review', () => {
    const [server, client, node] = pages.zh.cells;
    expect(server.expectedOutput).toBe('等待连接...\n收到: 你好，回声');
    expect(client.expectedOutput).toBe('回声: 你好，回声');
    expect(node.expectedOutput).toBe('HELLO FROM NODE');
    expect(pages.zh.reviewNotes).toBe(3);
  });

  test('the en twin has the same cells and awaits translation unit by unit', () => {
    expect(compareCells(pages.zh, pages.en)).toEqual([]);
    const status = pageStatus(content, 'lessons/echo-md');
    expect(verdictOf(status)).toBe('awaiting');
    expect(status.translation!.units).toHaveLength(pages.zh.units.length);
    expect(pages.en.source.match(/:::caution\[待翻译 \/ Awaiting translation\]/g)?.length).toBe(pages.zh.units.filter((u) => u.kind !== 'heading' && u.kind !== 'frontmatter').length);
  });

  test('both pages pass the content check right after the import', async () => {
    expect(await recheck(pages.zh)).toEqual([]);
    expect(await recheck(pages.en)).toEqual([]);
  });
});

describe('import a plain-text article (code found by indentation and shape)', () => {
  test('finds both programs, links the client to the server, and its cells pass the check', async () => {
    const { zh, en, stdout } = await importInto('echo-server.zh.txt', 'lessons/echo-txt', false);
    expect(zh.cells.map((c) => [c.meta.id, c.meta.server, c.meta.needs ?? null])).toEqual([['server', true, null], ['client', false, 'server']]);
    expect(zh.source).toContain('{/* import: 纯文本没有代码围栏');
    expect(zh.cells[1].expectedOutput).toBe("b'ok'");
    expect(stdout).toContain('Wrote');
    expect(await recheck(zh)).toEqual([]);
    expect(await recheck(en)).toEqual([]);
  });
});

describe('import the seed article (excerpt)', () => {
  test('its lone code line fails as it stands: recorded with exit=1 and a note, and the check passes', async () => {
    const { zh, en } = await importInto('seed-excerpt.zh.txt', 'seed', false);
    expect(zh.cells).toHaveLength(1);
    expect(zh.cells[0].meta.exitCode).toBe(1);
    expect(zh.cells[0].expectedOutput).toContain('File "/cell/{{run}}/main.py", line 1');
    expect(zh.cells[0].expectedOutput).toContain("NameError: name 'socket' is not defined");
    expect(zh.source).toContain('它以退出码 1 结束，所以标了 exit=1');
    expect(zh.source).toMatch(/^### sk\.bind\(address\)$/m);
    expect(await recheck(zh)).toEqual([]);
    expect(await recheck(en)).toEqual([]);
  });

  test('importing again over it is refused, and allowed with --force', async () => {
    const again = await runScriptAsync('import-article.ts', [join(FIXTURES, 'seed-excerpt.zh.txt'), '--into', 'seed', '--content', content, '--runner', runner.url]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists; pass --force');
    const forced = await runScriptAsync('import-article.ts', [join(FIXTURES, 'seed-excerpt.zh.txt'), '--into', 'seed', '--content', content, '--runner', runner.url, '--force']);
    expect(forced.status, forced.stderr).toBe(0);
  });
});
