/**
 * What a reader is told about a page's translation, in the real built site (Chromium), from a
 * fixture lesson set (tests/kit/fixtures/notice-content) whose pages the kit marked:
 * - `changed`: the zh source changed after the en page was marked → /en/changed/ says the
 *   translation may be out of date, with the date of the zh change, and links to the original;
 * - `only-zh`: no en page → /en/only-zh/ says so in English and links to the zh page;
 * - `only-en`: no zh page → /zh/only-en/ says so in Chinese and links to the en page;
 * - `current`: in step → no notice in either language;
 * - the side-by-side view of `changed` carries the outdated notice too.
 * The same build's log has no warning: a build with nothing wrong is quiet.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../../sandbox-runner/server.ts';
import { launchBrowser, type BrowserHandle } from '../../e2e/support.ts';
import { buildSite, FIXTURES, runScript, type BuildResult } from '../support.ts';

let content: string;
let outDir: string;
let build: BuildResult;
let site: RunningServer;
let browser: BrowserHandle;

/** When the zh source of `changed` last changed (the copy is not in git, so its mtime counts). */
const ZH_CHANGED = new Date('2025-03-04T12:00:00Z');

beforeAll(async () => {
  content = mkdtempSync(join(tmpdir(), 'kit-notice-content-'));
  cpSync(join(FIXTURES, 'notice-content'), content, { recursive: true });
  utimesSync(join(content, 'zh', 'changed.mdx'), ZH_CHANGED, ZH_CHANGED);
  outDir = mkdtempSync(join(tmpdir(), 'kit-notice-dist-'));
  build = buildSite(content, outDir);
  if (build.status !== 0) throw new Error(`astro build failed:\n${build.log}`);
  site = await startServer({ port: 0, staticDir: outDir, withoutRunner: true });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  for (const dir of [content, outDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  expect(browser?.offLoopback ?? []).toEqual([]);
});

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  const response = await page.goto(new URL(path, site.url).href);
  expect(response?.status(), path).toBe(200);
  return page;
}

const notice = (page: Page) => page.getByRole('note').and(page.locator('.wb-translation-notice'));

describe('translation notices', () => {
  test('the kit reports the same states the site shows', () => {
    const status = runScript('translation-status.ts', ['--content', content]);
    expect(status.stdout).toMatch(/^! changed\s+zh ✓ {2}en ✓ {2}outdated: 1 changed/m);
    expect(status.stdout).toMatch(/^! only-zh\s+zh ✓ {2}en ✗ {2}missing en$/m);
    expect(status.stdout).toMatch(/^! only-en\s+zh ✗ {2}en ✓ {2}missing zh$/m);
    expect(status.stdout).toMatch(/^ {2}current\s+zh ✓ {2}en ✓ {2}up to date/m);
  });

  test('an outdated en page says so, with the date the zh original changed, and links to it', async () => {
    const page = await open('/en/changed/');
    await expect(notice(page).textContent()).resolves.toBe('This translation may be out of date with the Chinese original (updated March 4, 2025); read the original.');
    expect(await notice(page).getAttribute('lang')).toBe('en');
    await notice(page).getByRole('link', { name: 'read the original' }).click();
    await page.waitForURL(/\/zh\/changed\/$/);
    await expect(page.locator('h1').textContent()).resolves.toContain('改过的原文');
    // The source page itself has nothing to warn about.
    expect(await notice(page).count()).toBe(0);
  });

  test('the side-by-side view of an outdated page says so too', async () => {
    const page = await open('/en/parallel/changed/');
    await expect(notice(page).textContent()).resolves.toContain('This translation may be out of date with the Chinese original (updated March 4, 2025)');
    expect(await notice(page).getByRole('link').getAttribute('href')).toBe('/zh/changed/');
  });

  test('a missing en page says so in English and links to the zh page, whose text it shows', async () => {
    const page = await open('/en/only-zh/');
    await expect(notice(page).textContent()).resolves.toBe('This page has not been translated into English yet. Read the Chinese original');
    expect(await page.getByText('not available in your language').count()).toBe(0);
    await expect(page.locator('.sl-markdown-content').first().textContent()).resolves.toContain('这一页只有中文。');
    await notice(page).getByRole('link', { name: 'Read the Chinese original' }).click();
    await page.waitForURL(/\/zh\/only-zh\/$/);
    expect(await notice(page).count()).toBe(0);
  });

  test('a page with no zh source says so in Chinese on /zh/ and links to the en page', async () => {
    const page = await open('/zh/only-en/');
    await expect(notice(page).textContent()).resolves.toBe('本页还没有中文版。阅读英文原文');
    expect(await notice(page).getAttribute('lang')).toBe('zh-CN');
    await expect(page.locator('.sl-markdown-content').first().textContent()).resolves.toContain('This page exists only in English.');
    await notice(page).getByRole('link', { name: '阅读英文原文' }).click();
    await page.waitForURL(/\/en\/only-en\/$/);
    expect(await notice(page).count()).toBe(0);
  });

  test.each(['/en/current/', '/zh/current/', '/zh/changed/', '/en/'])('%s, in step, has no notice', async (path) => {
    const page = await open(path);
    expect(await notice(page).count()).toBe(0);
  });

  test.each([
    ['/en/changed/', 'light'],
    ['/zh/only-en/', 'dark'],
  ] as const)('%s (%s theme): the notice has no serious or critical axe violations', async (path, colorScheme) => {
    const page = await browser.newPage({ colorScheme });
    await page.goto(new URL(path, site.url).href);
    await notice(page).waitFor();
    const results = await new AxeBuilder({ page }).include('.wb-translation-notice').analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
    expect(serious).toEqual([]);
  });

  test('the build log has no warnings or errors, and one line names the pages not up to date', () => {
    expect(build.log).toContain('Complete!');
    expect(build.log).toMatch(/\[socket-workbook:translation-summary\] 3 of 5 pages are not up to date: changed \(outdated\), only-en \(missing in one language\), only-zh \(missing in one language\)\. Details: npm run translation-status/);
    const noisy = build.log.split('\n').filter((line) => /\[(WARN|ERROR)\]|\bwarn(ing)?\b|\(!\)/i.test(line));
    expect(noisy).toEqual([]);
  });
});
