/**
 * Without a runner (static hosting, runner down) and without JavaScript, chapters still read
 * completely: text, code, expected output, and a clear notice in the page's language.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cell, runnerChecked, type BrowserHandle, type Site, closeSiteAndBrowser, openStaticSiteAndBrowser } from './support.ts';

let site: Site;
let browser: BrowserHandle;

beforeAll(async () => void ({ site, browser } = await openStaticSiteAndBrowser()));
afterAll(() => closeSiteAndBrowser(site, browser));

const pages = [
  { locale: 'zh', path: '/zh/overview/', heading: '概述', notice: /当前无法运行示例/, noscript: /运行示例需要 JavaScript/ },
  { locale: 'en', path: '/en/overview/', heading: 'Overview', notice: /Running examples is unavailable right now/, noscript: /Running examples needs JavaScript/ },
];

describe.each(pages)('$locale chapter with the runner down', ({ path, heading, notice, noscript }) => {
  test('reads completely, shows expected output and the notice; Run is disabled', async () => {
    const page = await browser.newPage();
    await page.goto(site.url + path);
    expect(await runnerChecked(page)).toBe('unavailable');
    await expect.poll(() => page.locator('.wb-session-text').textContent()).toMatch(notice);
    expect(await page.locator('h1').textContent()).toContain(heading);
    const root = cell(page, 'socket-is-a-file');
    expect(await root.locator('.wb-code').textContent()).toContain('import socket');
    expect(await root.locator('.wb-expected-output').isVisible()).toBe(true);
    expect(await root.locator('.wb-expected-output').textContent()).toContain('S_ISSOCK: True');
    expect(await root.getByRole('button', { name: /^(Run|运行)$/ }).isDisabled()).toBe(true);
    await page.context().close();
  });

  test('reads completely with JavaScript off, with the no-script notice', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(site.url + path);
    expect(await page.locator('.wb-session-text').textContent()).toMatch(noscript);
    const root = cell(page, 'tcp-server');
    // Both versions of a tabbed cell show, since the tabs cannot switch without JavaScript.
    const [python, node] = await root.locator('.wb-code').all();
    expect(await python.isVisible()).toBe(true);
    expect(await python.textContent()).toContain('sk.listen(5)');
    expect(await node.isVisible()).toBe(true);
    expect(await node.textContent()).toContain("import net from 'node:net'");
    expect(await root.locator('.wb-expected-output').first().textContent()).toContain('server waiting...');
    // Controls that cannot work without JavaScript stay out of the way.
    expect(await root.locator('.wb-actions').isHidden()).toBe(true);
    await page.context().close();
  });
});
