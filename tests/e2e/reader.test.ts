/**
 * The reader's walk: from each locale's landing page, following only links a reader can see
 * (sidebar, previous/next, links in the text), on a desktop and on a phone, every page the build
 * published is reached and shows every cell its chapter file holds. A published page that no
 * visible link leads to fails, whatever the content or sidebar code looks like.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkMdx from 'remark-mdx';
import type { Root } from 'mdast';
import { collectCells } from '../../src/cells/collect-cells.ts';
import { contentDir, pagesInOrder, readOutline } from '../../src/site/sidebar.ts';
import { DIST, ROOT, cell, ensureBuilt, launchBrowser, PHONE, startSite, type BrowserHandle, type Site } from './support.ts';

let site: Site;
let browser: BrowserHandle;

beforeAll(async () => {
  ensureBuilt();
  // The crawl reads links and cells only; without the runner it needs no sandboxes.
  site = await startSite({ withoutRunner: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  expect(browser?.offLoopback ?? []).toEqual([]);
});

/** The chapter pages the build wrote for a locale, as URL paths (`/en/methods/bind/`). */
function builtPages(locale: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name === 'index.html' ? [`/${relative(DIST, dir)}/`.replace(/\/+$/, '/')] : [];
    });
  return walk(join(DIST, locale)).sort();
}

/** The cell ids a chapter file holds, in document order (what its page must show). */
function cellIdsInContent(path: string): string[] {
  const slug = path.replace(/^\/|\/$/g, '') || 'index';
  const [locale, ...rest] = slug.split('/');
  const file = join(contentDir(ROOT), locale, `${rest.join('/') || 'index'}.mdx`);
  const source = readFileSync(file, 'utf8').replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, (m) => m.replace(/[^\n]/g, ''));
  return collectCells(unified().use(remarkParse).use(remarkMdx).parse(source) as Root).map((c) => c.meta.id);
}

/** Same-origin page links a reader can see on `page` now (hidden ones, e.g. a closed menu, not). */
async function visibleLinks(page: Page, origin: string): Promise<string[]> {
  const hrefs = await page.locator('a[href]').evaluateAll((links) =>
    links.filter((a) => (a as HTMLElement).checkVisibility({ visibilityProperty: true })).map((a) => (a as HTMLAnchorElement).href),
  );
  return hrefs
    .map((href) => new URL(href))
    .filter((url) => url.origin === origin && !url.pathname.startsWith('/api/') && !/\.[a-z0-9]+$/i.test(url.pathname))
    .map((url) => url.pathname);
}

interface Crawl {
  reached: Set<string>;
  cells: Map<string, string[]>;
}

async function crawl(start: string, viewport?: { width: number; height: number }): Promise<Crawl> {
  const page = await browser.newPage({ viewport });
  const origin = new URL(site.url).origin;
  const reached = new Set<string>();
  const cells = new Map<string, string[]>();
  const queue = [start];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (reached.has(path)) continue;
    const response = await page.goto(site.url + path);
    expect(response?.status(), `${path} answers`).toBe(200);
    // Redirects (a locale root without a landing page) count as the page they lead to.
    const landed = new URL(page.url()).pathname;
    reached.add(path);
    reached.add(landed);
    const ids = await page.locator('workbook-cell').evaluateAll((roots) =>
      roots.flatMap((r) => (r.getAttribute('data-cell-ids') ?? '').split(/\s+/).filter(Boolean)),
    );
    cells.set(landed, ids);
    const links = await visibleLinks(page, origin);
    // On a phone the sidebar is behind the menu button: open it, as a reader would.
    const menu = page.locator('button[popovertarget="starlight__sidebar"]');
    if (await menu.isVisible()) {
      await menu.click();
      await page.locator('#starlight__sidebar a').first().waitFor();
      links.push(...(await visibleLinks(page, origin)));
    }
    for (const link of links) if (!reached.has(link)) queue.push(link);
  }
  await page.context().close();
  return { reached, cells };
}

describe.each([
  ['desktop', undefined],
  ['phone', PHONE],
] as const)('reader crawl on a %s', (_name, viewport) => {
  test.each(['zh', 'en'])('from /%s/ every published page is reached and shows its cells', async (locale) => {
    const { reached, cells } = await crawl(`/${locale}/`, viewport);
    const published = builtPages(locale);
    expect(published.length).toBeGreaterThan(1);
    const unreached = published.filter((path) => !reached.has(path));
    expect(unreached, 'published pages no visible link leads to').toEqual([]);
    // Every page lists the cells of its chapter file, no more and no fewer.
    const wrongCells = published
      .map((path) => ({ path, shown: cells.get(path) ?? [], written: cellIdsInContent(path) }))
      .filter(({ shown, written }) => JSON.stringify(shown) !== JSON.stringify(written));
    expect(wrongCells).toEqual([]);
  }, 240_000);
});

describe('previous / next', () => {
  test.each(['zh', 'en'])('%s: "Next" walks every chapter in the order the content gives', async (locale) => {
    const expected = pagesInOrder(readOutline(join(contentDir(ROOT), locale))).map((slug) => `/${locale}/${slug}/`);
    const page = await browser.newPage();
    await page.goto(site.url + expected[0]);
    const walked = [new URL(page.url()).pathname];
    for (;;) {
      const next = page.locator('.pagination-links a[rel="next"]');
      if ((await next.count()) === 0) break;
      await next.click();
      await page.waitForURL((url) => url.pathname !== walked.at(-1));
      walked.push(new URL(page.url()).pathname);
      expect(walked.length).toBeLessThanOrEqual(expected.length);
    }
    expect(walked).toEqual(expected);
    await page.context().close();
  }, 120_000);
});

describe('editor', () => {
  test('the editor\'s text is readable (computed font size at least 12 px)', async () => {
    const page = await browser.newPage();
    await page.goto(site.url + '/en/overview/');
    const root = cell(page, 'socket-is-a-file');
    await root.locator('.ec-line').nth(1).click();
    const line = root.locator('.monaco-editor .view-lines');
    await line.waitFor();
    const px = await line.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(px).toBeGreaterThanOrEqual(12);
    await page.context().close();
  });
});

describe('expected output', () => {
  test('keeps every space of a traceback (indented File lines, carets under the code)', async () => {
    const page = await browser.newPage();
    await page.goto(site.url + '/en/tcp-demo/');
    const text = await cell(page, 'py2-raw-input').locator('.wb-expected-output').textContent();
    expect(text).toContain('\n  File "/cell/');
    expect(text).toContain("\n    inp = raw_input('数据：')\n          ^^^^^^^^^\n");
    await page.context().close();
  });
});

describe('keep my work', () => {
  const EDIT = '# my own change';

  async function editorText(page: Page, id: string): Promise<string> {
    const root = cell(page, id);
    await root.locator('.monaco-editor .view-lines').waitFor();
    return (await root.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' ');
  }

  test('edits survive a reload and a language switch; Reset returns to the author\'s code', async () => {
    const page = await browser.newPage();
    await page.goto(site.url + '/en/overview/');
    const id = 'socket-is-a-file';
    await cell(page, id).locator('.ec-line').first().click();
    await cell(page, id).locator('.monaco-editor').waitFor();
    await page.keyboard.press('ControlOrMeta+Home');
    await page.keyboard.insertText(`${EDIT}\n`);

    await page.reload();
    expect(await editorText(page, id)).toContain(EDIT);

    await page.goto(site.url + '/zh/overview/');
    expect(await editorText(page, id)).toContain(EDIT);

    await cell(page, id).getByRole('button', { name: '重置' }).click();
    await expect.poll(() => editorText(page, id)).not.toContain(EDIT);
    await page.reload();
    // Nothing saved any more: the page shows the author's highlighted code, no editor.
    expect(await cell(page, id).locator('.wb-code').textContent()).not.toContain(EDIT);
    expect(await cell(page, id).locator('.monaco-editor').count()).toBe(0);
    await page.context().close();
  });
});
