/**
 * A graded exercise and the error coach in Chromium against the built site and the real runner.
 * Exercise: the framing chapter's length-prefix server, in zh and en: the starter code fails a
 * check; the reference solution (typed into the editor) passes every check, each listed with its
 * title in the page's language; axe finds nothing serious. Coach: a refused connection explained
 * in the page's language, with a link to a chapter that exists. And a client exercise (the UDP
 * demo's), where the checker is the server and the reader's client runs once it listens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { cell, closeSiteAndBrowser, openSiteAndBrowser, ROOT, runCell, runnerChecked, seriousAxeViolations, type BrowserHandle, type Site } from './support.ts';
import zh from '../../src/i18n/zh.json' with { type: 'json' };
import en from '../../src/i18n/en.json' with { type: 'json' };

const STRINGS = { zh, en } as const;
const EXERCISE = join(ROOT, 'content/exercises/length-prefix');
const checks = (JSON.parse(readFileSync(join(EXERCISE, 'checks.json'), 'utf8')) as { checks: Array<{ key: string; title: Record<'zh' | 'en', string> }> }).checks;

let site: Site;
let browser: BrowserHandle;

beforeAll(async () => {
  ({ site, browser } = await openSiteAndBrowser());
});

afterAll(() => closeSiteAndBrowser(site, browser));

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(site.url + path);
  expect(await runnerChecked(page)).toBe('ready');
  return page;
}

/** Pastes into the focused editor, as a reader would: typed text would be auto-indented line by line. */
async function paste(page: Page, text: string): Promise<void> {
  await page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.setData('text/plain', data);
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, text);
}

/** Replaces a cell's code as a reader would: click into it (Monaco opens), select all, paste. */
async function replaceCode(page: Page, root: ReturnType<typeof cell>, text: string): Promise<void> {
  await root.locator('.wb-panel:not([hidden]) .wb-code').click();
  await root.locator('.monaco-editor').waitFor();
  await root.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await paste(page, text);
}

describe.each(['zh', 'en'] as const)('%s', (locale) => {
  const s = STRINGS[locale];

  test('exercise: the starter fails a check, the reference solution passes them all, in the page language', async () => {
    const page = await open(`/${locale}/framing/`);
    const root = cell(page, 'ex-length-prefix');
    const check = root.getByRole('button', { name: s['exercise.check'], exact: true });
    const verdict = root.locator('.wb-verdict');

    await check.click();
    await expect.poll(() => verdict.getAttribute('data-verdict'), { timeout: 60_000 }).toBe('fail');
    expect(await root.locator('.wb-check-item[data-ok="false"]').count()).toBeGreaterThan(0);

    // Write the solution: click into the code (Monaco opens), replace everything.
    await replaceCode(page, root, readFileSync(join(EXERCISE, 'solution.py'), 'utf8'));
    // The first check's verdict goes; the next one to appear is this check's.
    await verdict.evaluate((node) => node.removeAttribute('data-verdict'));
    await check.click();
    await expect.poll(() => verdict.getAttribute('data-verdict'), { timeout: 60_000 }).toBeTruthy();
    const seen = `${await root.locator('.wb-checks').textContent()}\n--- output ---\n${await root.locator('.wb-output').textContent()}`;
    expect(await verdict.getAttribute('data-verdict'), seen).toBe('pass');
    expect(await verdict.textContent()).toBe(s['exercise.verdict.pass'].replace('{total}', String(checks.length)));
    const items = root.locator('.wb-check-item');
    expect(await items.evaluateAll((nodes) => nodes.map((node) => [(node as HTMLElement).dataset.check, (node as HTMLElement).dataset.ok]))).toEqual(
      checks.map((c) => [c.key, 'true']),
    );
    expect(await root.locator('.wb-check-title').allTextContents()).toEqual(checks.map((c) => c.title[locale]));
    expect(await root.locator('.wb-check-state').allTextContents()).toEqual(checks.map(() => s['exercise.passed']));
    // The reader's server ran in the cell, as with Run.
    expect(await root.locator('.wb-output').textContent()).toContain('listening on 127.0.0.1:9104');
    expect(await seriousAxeViolations(page, '.wb-cell')).toEqual([]);
    await page.context().close();
  }, 180_000);

  test('a client exercise: the checker is the server the reader\'s client talks to', async () => {
    const page = await open(`/${locale}/udp-demo/`);
    const root = cell(page, 'ex-udp-token');
    const verdict = root.locator('.wb-verdict');
    await replaceCode(page, root, readFileSync(join(ROOT, 'content/exercises/udp-token/solution.py'), 'utf8'));
    await root.getByRole('button', { name: s['exercise.check'], exact: true }).click();
    await expect.poll(() => verdict.getAttribute('data-verdict'), { timeout: 60_000 }).toBeTruthy();
    const seen = `${await root.locator('.wb-checks').textContent()}\n--- output ---\n${await root.locator('.wb-output').textContent()}`;
    expect(await verdict.getAttribute('data-verdict'), seen).toBe('pass');
    // The client ran in the cell and printed what the checker (its server) answered.
    expect(await root.locator('.wb-output').textContent()).toMatch(/server said b'token \d+'/);
    await page.context().close();
  }, 120_000);

  test('the error coach explains a refused connection and links to the chapter that teaches the fix', async () => {
    const page = await open(`/${locale}/tcp-demo/`);
    // The demo's client, run without its server: connect() is refused.
    const root = cell(page, 'ex-tcp-upper');
    await replaceCode(page, root, "import socket\nsocket.create_connection(('127.0.0.1', 9141))\n");
    await runCell(page, 'ex-tcp-upper');
    const coach = root.locator('.wb-coach');
    await coach.waitFor({ timeout: 30_000 });
    expect(await root.locator('.wb-output').textContent()).toContain('ConnectionRefusedError');
    expect(await coach.locator('[data-coach]').evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.coach))).toEqual(['refused']);
    expect(await coach.textContent()).toContain(s['coach.refused']);
    const link = coach.getByRole('link', { name: s['coach.link'].replace('{chapter}', s['coach.chapter.socket-failures']) });
    const href = await link.getAttribute('href');
    expect(href).toBe(`/${locale}/socket-failures/`);
    const target = await page.request.get(site.url + href);
    expect(target.status()).toBe(200);
    expect(await seriousAxeViolations(page, '.wb-cell')).toEqual([]);
    // A run without an error takes the coach away.
    await replaceCode(page, root, "print('fine')\n");
    await runCell(page, 'ex-tcp-upper');
    await expect.poll(() => root.locator('.wb-output').textContent(), { timeout: 30_000 }).toContain('fine');
    await expect.poll(() => coach.count()).toBe(0);
    await page.context().close();
  }, 120_000);
});
