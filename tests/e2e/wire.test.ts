/**
 * The wire view in Chromium against the real runner: nothing of it loads before the reader
 * opens it; on the overview page, running the server and the client shows SYN, SYN/ACK, ACK,
 * the data and the FINs in order, the socket table LISTEN then TIME_WAIT, the text table the
 * same packets; axe finds nothing serious in light and dark, on a desktop and a phone.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { cell, closeSiteAndBrowser, openSiteAndBrowser, PHONE, runCell, runnerChecked, seriousAxeViolations, type BrowserHandle, type Site } from './support.ts';

let site: Site;
let browser: BrowserHandle;

beforeAll(async () => {
  ({ site, browser } = await openSiteAndBrowser());
});

afterAll(() => closeSiteAndBrowser(site, browser));

/** Flags column of the text table, row by row. */
const tableRows = (page: Page) =>
  page.locator('workbook-cell[data-cell-ids~="tcp-client"] .wb-wire-packets tbody tr').evaluateAll((rows) =>
    rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));

describe('the wire view', () => {
  test.each([
    ['en', '/en/overview/', 'light', undefined],
    ['zh', '/zh/overview/', 'dark', PHONE],
  ] as const)('%s %s (%s): the handshake, the data, the close; sockets LISTEN then TIME_WAIT; axe clean', async (locale, path, colorScheme, viewport) => {
    const page = await browser.newPage({ colorScheme, viewport });
    const loaded: string[] = [];
    page.on('request', (request) => loaded.push(request.url()));
    await page.goto(site.url + path);
    expect(await runnerChecked(page)).toBe('ready');
    expect(loaded.filter((url) => url.includes('wire-view'))).toEqual([]);

    const client = cell(page, 'tcp-client');
    const toggle = client.getByRole('button', { name: locale === 'en' ? 'Wire' : '抓包' });
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    expect(loaded.filter((url) => url.includes('wire-view')).length).toBe(1);
    const view = client.locator('.wb-wire');
    await view.waitFor();
    await expect.poll(() => view.locator('.wb-wire-status').textContent()).toMatch(locale === 'en' ? /No packets yet/ : /还没有数据包/);

    // The server first: its socket appears as LISTEN; then the client talks to it.
    await runCell(page, 'tcp-server');
    const sockets = view.locator('.wb-wire-socket-table');
    await expect.poll(() => sockets.textContent(), { timeout: 20_000 }).toContain('LISTEN');
    await runCell(page, 'tcp-client');
    await expect.poll(() => client.locator('.wb-output').textContent(), { timeout: 30_000 }).toContain('不要回答');
    await expect.poll(async () => (await tableRows(page)).filter((row) => row[5].includes('FIN')).length, { timeout: 20_000 }).toBe(2);
    const rows = await tableRows(page);
    const flags = rows.map((row) => row[5].split(' · ')[0]);
    expect(flags.slice(0, 3)).toEqual(['SYN', 'SYN, ACK', 'ACK']);
    const request = rows.findIndex((row) => row[7] === '请求占领地球');
    const reply = rows.findIndex((row) => row[7] === '不要回答,不要回答,不要回答');
    expect(request).toBeGreaterThan(2);
    expect(reply).toBeGreaterThan(request);
    const fins = flags.flatMap((flag, index) => (flag.includes('FIN') ? [index] : []));
    expect(Math.min(...fins)).toBeGreaterThan(reply);
    // Runs are named by their examples.
    expect(new Set(rows.map((row) => row[8]))).toEqual(new Set(['tcp-server', 'tcp-client']));
    // The diagram: two lifelines (client, server) and an arrow per packet, labelled.
    const diagram = view.locator('svg.wb-wire-svg');
    expect(await diagram.locator('.wb-wire-endpoint').allTextContents()).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/), '127.0.0.1:9999']);
    expect(await diagram.locator('.wb-wire-role').allTextContents()).toEqual(locale === 'en' ? ['client', 'server'] : ['客户端', '服务端']);
    expect(await diagram.locator('.wb-wire-arrow').count()).toBe(rows.length);
    expect(await diagram.locator('.wb-wire-label').first().textContent()).toBe('[SYN]');
    // Zoom: taller rows, a taller diagram.
    const before = Number(await diagram.getAttribute('height'));
    await view.getByRole('button', { name: locale === 'en' ? 'Zoom in' : '放大' }).click();
    await expect.poll(async () => Number(await view.locator('svg.wb-wire-svg').getAttribute('height'))).toBeGreaterThan(before);

    // The socket table: the server listening, the closed connection in TIME_WAIT on the side that closed first.
    await expect.poll(() => sockets.textContent(), { timeout: 10_000 }).toContain('TIME_WAIT');
    expect(await sockets.textContent()).toContain('LISTEN');

    expect(await seriousAxeViolations(page, '.wb-wire')).toEqual([]);
    if (viewport) {
      // On a phone the view stays within the page; the diagram scrolls inside its own box.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
    await toggle.click();
    await expect.poll(() => view.isHidden()).toBe(true);
    await page.context().close();
  });
});
