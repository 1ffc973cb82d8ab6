/**
 * The parallel view, in the real built site: a fixture lesson (imported, then translated and
 * marked with the kit) is built on its own, served with the runner, and opened in Chromium.
 * Wide: zh | en rows, paired block by block; phone: each zh block above its en twin; each cell
 * once, in the reader's language, and runnable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../../sandbox-runner/server.ts';
import { cell, launchBrowser, runCell, runnerChecked, type BrowserHandle } from '../../e2e/support.ts';
import { buildSite, FIXTURES } from '../support.ts';

let outDir: string;
let site: RunningServer;
let browser: BrowserHandle;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'kit-parallel-dist-'));
  const build = buildSite(join(FIXTURES, 'parallel-content'), outDir);
  if (build.status !== 0) throw new Error(`astro build failed:\n${build.log}`);
  site = await startServer({
    port: 0,
    staticDir: outDir,
    config: { stateDir: '/run/socket-workbook-test', cgroupName: 'socket-workbook-test', firstSessionUid: 300_000, spareSessions: 0, logLevel: 'warn' },
  });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const response = await page.goto(new URL(path, site.url).href);
  expect(response?.status()).toBe(200);
  return page;
}

const box = async (page: Page, lang: string, text: string) => {
  const found = await page.locator(`.wb-parallel-side[lang="${lang}"]`, { hasText: text }).first().boundingBox();
  if (!found) throw new Error(`no ${lang} block with "${text}"`);
  return found;
};

describe('对照阅读 / Side by side', () => {
  test('wide screen: zh and en blocks paired side by side, row by row', async () => {
    const page = await open('/zh/parallel/echo/');
    await expect(page.locator('h1').textContent()).resolves.toContain('对照阅读：回声服务器');
    expect(await page.locator('.wb-parallel-paired').count()).toBe(1);
    for (const [zh, en] of [['服务端先', 'The server first calls'], ['连接服务端', 'Connect to the server'], ['在命令行里运行', 'Run it on the command line']]) {
      const left = await box(page, 'zh-CN', zh);
      const right = await box(page, 'en', en);
      expect(right.x).toBeGreaterThan(left.x + left.width - 1);
      expect(Math.abs(right.y - left.y), `${zh} ${JSON.stringify(left)} ${JSON.stringify(right)}`).toBeLessThan(2);
    }
  });

  test('phone: each zh block comes right above its en twin', async () => {
    const page = await open('/zh/parallel/echo/', { width: 390, height: 844 });
    const zh = await box(page, 'zh-CN', '服务端先');
    const en = await box(page, 'en', 'The server first calls');
    expect(Math.abs(en.x - zh.x)).toBeLessThan(2);
    expect(en.y).toBeGreaterThanOrEqual(zh.y + zh.height - 1);
    const next = await box(page, 'zh-CN', '连接服务端');
    expect(next.y).toBeGreaterThan(en.y);
  });

  test.each([
    ['/zh/parallel/echo/', 'zh-CN'],
    ['/en/parallel/echo/', 'en'],
  ])('%s shows each cell once, in the reader\'s language', async (path, lang) => {
    const page = await open(path);
    expect(await page.locator('workbook-cell').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.cellId))).toEqual(['server', 'client', 'node-js']);
    expect(await page.locator('workbook-session').count()).toBe(1);
    expect(await cell(page, 'client').evaluate((el) => el.closest('[lang]')?.getAttribute('lang'))).toBe(lang);
  });

  test('its cells run, with the server and client of one page on one network', async () => {
    const page = await open('/en/parallel/echo/');
    expect(await runnerChecked(page)).toBe('ready');
    const server = await runCell(page, 'server');
    await expect.poll(() => server.locator('.wb-output').textContent(), { timeout: 20_000 }).toContain('等待连接...');
    const client = await runCell(page, 'client');
    await expect.poll(() => client.locator('.wb-output').textContent(), { timeout: 20_000 }).toContain('回声: 你好，回声');
    await expect.poll(() => server.locator('.wb-output').textContent(), { timeout: 20_000 }).toContain('收到: 你好，回声');
    expect(browser.offLoopback).toEqual([]);
  });

  test('a page in one language only has no parallel view', async () => {
    const page = await browser.newPage();
    const response = await page.goto(new URL('/zh/parallel/nothing/', site.url).href);
    expect(response?.status()).toBe(404);
  });
});
