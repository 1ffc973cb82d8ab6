/**
 * Shared set-up of the browser tests: the built site (dist/) served by the project's own server
 * (sandbox-runner/server.ts), with or without the runner, and Debian's Chromium through
 * playwright-core. Every request the browser makes must go to 127.0.0.1; others are refused
 * and recorded, and tests assert there were none.
 */
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer } from '../../sandbox-runner/server.ts';
import type { RunnerConfigInput } from '../../sandbox-runner/config.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = join(ROOT, 'dist');

/** Builds the site when dist/ has no chapters (the test command normally builds first). */
export function ensureBuilt(): void {
  if (process.env.E2E_REBUILD !== '1' && existsSync(join(DIST, 'en', 'overview', 'index.html'))) return;
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs'), 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) throw new Error(`astro build failed with status ${result.status}`);
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves dist/ (and the runner unless `withoutRunner`), with the runner's state kept apart from
 * a workbook that may be serving on this machine.
 */
export async function startSite(options: { withoutRunner?: boolean; port?: number; config?: RunnerConfigInput } = {}): Promise<Site> {
  const server = await startServer({
    // A test that stops and restarts the site passes the port it had, so pages keep their origin.
    port: options.port ?? 0,
    staticDir: DIST,
    withoutRunner: options.withoutRunner,
    config: {
      // Each runner instance gets its own folder and cgroup below these, and its uids from a
      // machine-wide claim, so a fixed name is safe and leaves no litter per test process.
      stateDir: '/run/socket-workbook-e2e',
      cgroupName: 'socket-workbook-e2e',
      firstSessionUid: 300_000,
      spareSessions: 0,
      logLevel: 'warn',
      limits: { maxSessions: 32 },
      ...options.config,
    },
  });
  return { url: server.url, close: () => server.close() };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface NewPageOptions {
  javaScriptEnabled?: boolean;
  locale?: string;
  colorScheme?: 'light' | 'dark';
  /** Defaults to a desktop window; PHONE is a phone's. */
  viewport?: { width: number; height: number };
}

/** A phone's viewport (an iPhone's 390 × 844 CSS px). */
export const PHONE = { width: 390, height: 844 };

export interface BrowserHandle {
  browser: Browser;
  /** A fresh context (own storage) with the loopback-only guard. */
  newPage(options?: NewPageOptions): Promise<Page>;
  /** Requests that tried to leave 127.0.0.1 (refused). */
  offLoopback: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserHandle> {
  // playwright's launch() gives Chromium a fresh temporary profile (user data dir) of its own.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const offLoopback: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    browser,
    offLoopback,
    async newPage(options = {}) {
      const context = await browser.newContext({
        javaScriptEnabled: options.javaScriptEnabled ?? true,
        locale: options.locale ?? 'en-US',
        colorScheme: options.colorScheme ?? 'light',
        viewport: options.viewport ?? { width: 1280, height: 900 },
      });
      contexts.push(context);
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return route.continue();
        offLoopback.push(url.href);
        return route.abort('blockedbyclient');
      });
      return context.newPage();
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
    },
  };
}

/** The root element of the cell that holds the variant `id` (a group's cells share one). */
export function cell(page: Page, id: string) {
  return page.locator(`workbook-cell[data-cell-ids~="${id}"]`);
}

/** Waits until the page's runner bar has asked the runner (so buttons are in their final state). */
export async function runnerChecked(page: Page): Promise<string> {
  const text = page.locator('.wb-session-text');
  await text.and(page.locator('[data-state="ready"], [data-state="unavailable"]')).waitFor();
  return (await text.getAttribute('data-state')) ?? '';
}

/** Shows the variant `id` of its cell (clicking its tab when the cell has tabs). */
export async function showVariant(page: Page, id: string) {
  const root = cell(page, id);
  const tab = root.locator(`[role="tab"][data-variant="${id}"]`);
  if ((await tab.count()) > 0) await tab.click();
  return root;
}

/** Runs the variant `id` with the Run button; returns the cell's root locator. */
export async function runCell(page: Page, id: string) {
  const root = await showVariant(page, id);
  await root.getByRole('button', { name: /^(Run|运行)$/ }).click();
  return root;
}

/** The built site with its real runner, and a browser: the set-up of suites that run cells. */
export async function openSiteAndBrowser(): Promise<{ site: Site; browser: BrowserHandle }> {
  ensureBuilt();
  const site = await startSite();
  return { site, browser: await launchBrowser() };
}

/** axe-core's serious and critical violations on the page (or the part `include` selects), one line each. */
export async function seriousAxeViolations(page: Page, include?: string): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  const results = await (include ? builder.include(include) : builder).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** The built site without a runner, and a browser: the set-up of suites that only read pages. */
export async function openStaticSiteAndBrowser(): Promise<{ site: Site; browser: BrowserHandle }> {
  ensureBuilt();
  const site = await startSite({ withoutRunner: true });
  return { site, browser: await launchBrowser() };
}

/** Closes both, then checks the browser asked nothing of any address but loopback. */
export async function closeSiteAndBrowser(site: Site | undefined, browser: BrowserHandle | undefined): Promise<void> {
  await browser?.close();
  await site?.close();
  expect(browser?.offLoopback ?? []).toEqual([]);
}
