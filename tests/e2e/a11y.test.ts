/** axe-core on a zh and an en chapter, in the state a reader sees them (runner up, cells ready). */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt, launchBrowser, runCell, runnerChecked, seriousAxeViolations, startSite, type BrowserHandle, type Site } from './support.ts';

let site: Site;
let browser: BrowserHandle;

beforeAll(async () => {
  ensureBuilt();
  site = await startSite();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test.each([
  ['zh', '/zh/overview/', 'light'],
  ['en', '/en/overview/', 'dark'],
  ['en', '/en/udp-demo/', 'light'],
] as const)('%s %s (%s theme): no serious or critical axe violations, before and after a run', async (_locale, path, colorScheme) => {
  const page = await browser.newPage({ colorScheme });
  await page.goto(site.url + path);
  expect(await runnerChecked(page)).toBe('ready');
  const serious = () => seriousAxeViolations(page);
  expect(await serious()).toEqual([]);
  // Output, exit status and (on the UDP page) the stdin box are part of what a reader meets.
  const root = await runCell(page, path.includes('udp') ? 'udp-server-v2' : 'socket-is-a-file');
  await expect.poll(() => root.getAttribute('data-state'), { timeout: 15_000 }).not.toBe('starting');
  await root.locator('.wb-output').locator('span').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
  expect(await serious()).toEqual([]);
  await page.context().close();
});
