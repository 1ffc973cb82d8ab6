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
import { DIST, ROOT, cell, PHONE, type BrowserHandle, type Site, closeSiteAndBrowser, openStaticSiteAndBrowser } from './support.ts';

let site: Site;
let browser: BrowserHandle;

  // The crawl reads links and cells only; without the runner it needs no sandboxes.
beforeAll(async () => void ({ site, browser } = await openStaticSiteAndBrowser()));
afterAll(() => closeSiteAndBrowser(site, browser));

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
  // A parallel view (/zh/parallel/overview/) shows the cells of its chapter.
  const slug = path.replace(/^\/|\/$/g, '').replace(/^(zh|en)\/parallel\//, '$1/') || 'index';
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

describe('phone layout', () => {
  test.each(['zh', 'en'])('%s glossary: tables fit a 390 px screen, nothing clipped', async (locale) => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(`${site.url}/${locale}/glossary/`);
    const overflow = await page.locator('main table').evaluateAll((tables) =>
      tables.map((table) => table.scrollWidth - table.clientWidth).filter((extra) => extra > 1),
    );
    expect(overflow).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.context().close();
  });
});

describe('search', () => {
  test('zh pages: the search UI speaks Chinese and its excerpts leave out the runner notices', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/zh/overview/`);
    await page.locator('button[data-open-modal]').click();
    await page.locator('.pagefind-ui__search-input').fill('运行');
    const ui = page.locator('.pagefind-ui');
    await expect.poll(() => ui.locator('.pagefind-ui__message').textContent(), { timeout: 15_000 }).toMatch(/找到 \d+ 个/);
    expect(await ui.innerText()).not.toMatch(/results for|Clear/);
    // Excerpts come from the text: the no-JavaScript notice of the runner bar is not indexed.
    await expect.poll(() => ui.locator('.pagefind-ui__result-excerpt').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await ui.locator('.pagefind-ui__results').innerText()).not.toMatch(/运行示例需要 JavaScript/);
    await page.context().close();
  });
});

describe('page heads and headings', () => {
  test('every chapter names its other language (hreflang) and the sitemap lists the pages', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/en/methods/bind/`);
    const alternates = await page.locator('link[rel="alternate"][hreflang]').evaluateAll((links) =>
      links.map((l) => `${l.getAttribute('hreflang')} ${new URL(l.getAttribute('href')!).pathname}`),
    );
    expect(alternates).toEqual(expect.arrayContaining(['zh-CN /zh/methods/bind/', 'en /en/methods/bind/']));
    const sitemap = readFileSync(join(DIST, 'sitemap-0.xml'), 'utf8');
    for (const path of [...builtPages('zh'), ...builtPages('en')]) expect(sitemap).toContain(`${path}</loc>`);
    await page.context().close();
  });

  test.each(['zh', 'en'])('%s: no page repeats its title as a heading', async (locale) => {
    const page = await browser.newPage();
    const repeated: string[] = [];
    for (const path of builtPages(locale)) {
      await page.goto(site.url + path);
      const title = (await page.locator('h1').first().textContent())?.trim();
      const headings = await page.locator('main h2').allTextContents();
      if (headings.some((h) => h.trim() === title)) repeated.push(path);
    }
    expect(repeated).toEqual([]);
    await page.context().close();
  }, 120_000);
});

describe('cell labels', () => {
  test('the needs-a-server hint names no internal id and leads to the server\'s tab', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/zh/udp-demo/`);
    const client = await cell(page, 'udp-client-v1');
    const hint = client.locator('.wb-panel:not([hidden]) .wb-needs');
    expect(await hint.textContent()).not.toMatch(/udp-server|[a-z]+-[a-z0-9-]+/);
    // The JavaScript client needs the JavaScript server, which is the server cell's second tab.
    await client.getByRole('tab', { name: 'Node.js' }).click();
    await client.locator('.wb-panel:not([hidden]) .wb-needs a').click();
    const server = cell(page, 'udp-server-v1-js');
    await expect.poll(() => server.locator('[role="tab"][aria-selected="true"]').textContent()).toBe('Node.js');
    expect(await server.locator('#wb-panel-udp-server-v1-js').isVisible()).toBe(true);
    await page.context().close();
  });

  test('the server label is not styled like a tab', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/en/overview/`);
    const badge = cell(page, 'tcp-server').locator('.wb-badge');
    expect(await badge.textContent()).toMatch(/keeps running until you stop it/);
    const style = await badge.evaluate((el) => ({ border: getComputedStyle(el).borderTopStyle, role: el.getAttribute('role') }));
    expect(style).toEqual({ border: 'none', role: null });
    await page.context().close();
  });
});
