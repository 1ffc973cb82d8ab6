/**
 * The page tells the truth about its runner, in its own language: away at load, lost while
 * reading, and back again without a reload; Run is disabled with the reason while it is away, the
 * expected output stays readable, and editing still works (the editor is served by the site).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { cell, ensureBuilt, launchBrowser, runCell, runnerChecked, startSite, type BrowserHandle, type Site } from './support.ts';

let browser: BrowserHandle;

beforeAll(async () => {
  ensureBuilt();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  expect(browser?.offLoopback ?? []).toEqual([]);
});

/** Browser and network wording that must never reach a reader. */
const RAW_ERRORS = /Failed to fetch|NetworkError|dynamically imported module|"error"|\{"/;

const runButton = (root: ReturnType<typeof cell>) => root.getByRole('button', { name: /^(Run|运行)$/ });

describe.each([
  { locale: 'zh', notice: /连接不到运行器/, reason: /无法运行：连接不到运行器/ },
  { locale: 'en', notice: /the runner cannot be reached/, reason: /Run is unavailable: the runner cannot be reached/ },
])('$locale page without a runner', ({ locale, notice, reason }) => {
  let site: Site;
  beforeAll(async () => (site = await startSite({ withoutRunner: true })));
  afterAll(async () => site?.close());

  test('says so in the page\'s language, disables Run with the reason, keeps the expected output; editing works', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/${locale}/overview/`);
    expect(await runnerChecked(page)).toBe('unavailable');
    const bar = page.locator('.wb-session-text');
    expect(await bar.textContent()).toMatch(notice);
    expect(await bar.getAttribute('data-reason')).toBe('unreachable');
    const root = cell(page, 'socket-is-a-file');
    expect(await runButton(root).isDisabled()).toBe(true);
    expect(await runButton(root).getAttribute('title')).toMatch(reason);
    expect(await root.locator('.wb-expected-output').isVisible()).toBe(true);
    // The editor comes from the static site, not the runner.
    await root.locator('.ec-line').nth(1).click();
    await root.locator('.monaco-editor').waitFor();
    expect(await root.locator('.wb-note').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toMatch(RAW_ERRORS);
    await page.context().close();
  });
});

describe('a runner that cannot make sandboxes', () => {
  let site: Site;
  // A real runner whose sandbox host cannot start (no cgroup hierarchy there): health answers 503.
  // Its expected "sandbox unavailable" error log is silenced.
  beforeAll(async () => (site = await startSite({ config: { cgroupRoot: '/nonexistent-cgroup-root', logLevel: 'fatal' } })));
  afterAll(async () => site?.close());

  test.each([
    ['zh', /运行器在运行，但这台机器上无法创建沙箱/, /无法运行：运行器无法创建沙箱/],
    ['en', /the runner is up but cannot create sandboxes/, /Run is unavailable: the runner cannot create sandboxes/],
  ])('%s: the page says the sandbox is unavailable, not that the runner is gone', async (locale, notice, reason) => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/${locale}/overview/`);
    expect(await runnerChecked(page)).toBe('unavailable');
    expect(await page.locator('.wb-session-text').getAttribute('data-reason')).toBe('sandbox-unavailable');
    expect(await page.locator('.wb-session-text').textContent()).toMatch(notice);
    const root = cell(page, 'socket-is-a-file');
    expect(await runButton(root).isDisabled()).toBe(true);
    expect(await runButton(root).getAttribute('title')).toMatch(reason);
    expect(await page.locator('main').textContent()).not.toMatch(RAW_ERRORS);
    await page.context().close();
  });
});

describe('a runner that goes away and comes back', () => {
  let site: Site | undefined;
  afterAll(async () => site?.close());

  test('zh: a failed run is told in Chinese, the page notices, and recovers by itself', async () => {
    site = await startSite();
    const port = Number(new URL(site.url).port);
    const page: Page = await browser.newPage();
    await page.goto(`${site.url}/zh/overview/`);
    expect(await runnerChecked(page)).toBe('ready');
    await site.close();
    site = undefined;

    const root = await runCell(page, 'socket-is-a-file');
    await expect.poll(() => root.locator('.wb-note').textContent(), { timeout: 15_000 }).toMatch(/无法运行：连接不到运行器/);
    expect(await root.locator('.wb-output').textContent()).not.toMatch(RAW_ERRORS);
    // Nothing ran: the expected output is back in view.
    expect(await root.locator('.wb-expected-output').isVisible()).toBe(true);
    await expect.poll(() => page.locator('.wb-session-text').getAttribute('data-state'), { timeout: 15_000 }).toBe('unavailable');
    expect(await runButton(root).isDisabled()).toBe(true);

    site = await startSite({ port });
    await expect.poll(() => page.locator('.wb-session-text').getAttribute('data-state'), { timeout: 45_000, interval: 500 }).toBe('ready');
    expect(await runButton(root).isDisabled()).toBe(false);
    await runButton(root).click();
    await expect.poll(() => root.locator('.wb-exit').textContent(), { timeout: 20_000 }).toMatch(/^退出码 0 · /);
    await page.context().close();
  }, 120_000);
});
