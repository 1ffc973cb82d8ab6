/**
 * The reader's path through the built site with the real runner: streamed output, a server and
 * its client on one page's private network, interactive stdin, the web demo's preview, the lazy
 * editor.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { cell, ensureBuilt, launchBrowser, runCell, runnerChecked, startSite, type BrowserHandle, type Site } from './support.ts';

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

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(site.url + path);
  expect(await runnerChecked(page)).toBe('ready');
  return page;
}

/** Text of the live output of a cell. */
const output = (root: ReturnType<typeof cell>) => root.locator('.wb-output');

/** Replaces a cell's code through Monaco: click into the code, select all, type. */
async function editCode(page: Page, id: string, code: string) {
  const root = cell(page, id);
  await root.locator('.wb-panel:not([hidden]) .wb-code').click();
  const editor = root.locator('.monaco-editor');
  await editor.waitFor();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

describe('running cells', () => {
  test.each([
    ['zh', '/zh/overview/'],
    ['en', '/en/overview/'],
  ])('%s: output streams in as the program prints (first line before the second)', async (_locale, path) => {
    const page = await open(path);
    const id = 'socket-is-a-file';
    await editCode(page, id, "import time\nprint('first line', flush=True)\ntime.sleep(1.5)\nprint('second line', flush=True)\n");
    const root = await runCell(page, id);
    await expect.poll(() => output(root).textContent(), { timeout: 15_000 }).toContain('first line');
    // The second line is 1.5 s away: it must not be there yet when the first is.
    expect(await output(root).textContent()).not.toContain('second line');
    await expect.poll(() => output(root).textContent(), { timeout: 15_000 }).toContain('second line');
    await expect.poll(() => root.locator('.wb-exit').textContent()).toMatch(/^(exit 0|退出码 0) · \d+ (ms|毫秒)$/);
    await page.context().close();
  });

  test('the author\'s cell runs as written and matches its expected output', async () => {
    const page = await open('/en/overview/');
    const root = await runCell(page, 'socket-is-a-file');
    await expect.poll(() => root.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 0 · /);
    expect(await output(root).textContent()).toContain('S_ISSOCK: True');
    // The expected output steps aside while the real output shows; Reset brings it back.
    await expect.poll(() => root.locator('.wb-expected').isHidden()).toBe(true);
    await root.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => root.locator('.wb-expected').isVisible()).toBe(true);
    await page.context().close();
  });

  test('TCP: the server keeps running while the client runs against it; Stop ends it', async () => {
    const page = await open('/en/overview/');
    const server = await runCell(page, 'tcp-server');
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain('server waiting...');
    const client = await runCell(page, 'tcp-client');
    await expect.poll(() => output(client).textContent(), { timeout: 15_000 }).toContain('不要回答,不要回答,不要回答');
    await expect.poll(() => client.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 0 · /);
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain('请求占领地球');
    expect(await server.getAttribute('data-state')).toBe('running');
    await server.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => server.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^stopped \(Ctrl-C, SIGINT\) · /);
    expect(await server.getAttribute('data-state')).toBe('idle');
    await page.context().close();
  });

  test('a program as its author wrote it: command-line arguments and a module file (args=, files=)', async () => {
    const page = await open('/zh/app-protocol/');
    // The module is shown as a file block, not a cell.
    await expect.poll(() => page.locator('figure', { hasText: 'def recv_exact' }).count()).toBeGreaterThan(0);
    const server = await runCell(page, 'ap-args-server');
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain('listening on 127.0.0.1:9170');
    const client = await runCell(page, 'ap-args-client');
    await expect.poll(() => output(client).textContent(), { timeout: 15_000 }).toContain("'argv': ['127.0.0.1', '9170']");
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain("request: {'action': 'echo', 'text': 'hello'}");
    await server.getByRole('button', { name: '停止' }).click();
    await page.context().close();
  });

  test('UDP: lines typed into the client\'s stdin box reach the server', async () => {
    const page = await open('/en/udp-demo/');
    const server = await runCell(page, 'udp-server-v2');
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    const client = cell(page, 'udp-client-v2');
    const stdin = client.getByRole('textbox', { name: 'Input (stdin)' });
    await runCell(page, 'udp-client-v2');
    await expect.poll(() => client.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    await stdin.fill('hello');
    await stdin.press('Enter');
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain("b'hello'");
    await stdin.fill('second line');
    await stdin.press('Enter');
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain("b'second line'");
    await expect.poll(() => output(client).textContent(), { timeout: 15_000 }).toContain("(b'ok', ('127.0.0.1', 9999))");
    await client.getByRole('button', { name: 'Stop' }).click();
    await server.getByRole('button', { name: 'Stop' }).click();
    await page.context().close();
  });

  test('UDP: the example\'s input is offered, not sent; one click sends it', async () => {
    const page = await open('/en/udp-demo/');
    const server = await runCell(page, 'udp-server-v2');
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    const client = await runCell(page, 'udp-client-v2');
    await expect.poll(() => output(client).textContent(), { timeout: 15_000 }).toContain('数据：');
    // The program waits for the reader: nothing was typed for them.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await output(server).textContent()).not.toContain("b'hello'");
    expect(await client.getByRole('textbox', { name: 'Input (stdin)' }).inputValue()).toBe('');
    await client.getByRole('button', { name: 'Send example input' }).click();
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).toContain("b'hello'");
    await expect.poll(() => client.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 0 · /);
    await server.getByRole('button', { name: 'Stop' }).click();
    await page.context().close();
  });

  test('a traceback keeps its indentation in the live output', async () => {
    const page = await open('/en/tcp-demo/');
    const root = await runCell(page, 'py2-print');
    await expect.poll(() => root.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 1 · /);
    const text = await output(root).textContent();
    expect(text).toMatch(/\n    print 'server waiting\.\.\.'\n    \^+\n/);
    await page.context().close();
  });

  test('TCP exercise #3 teaches its TypeError even with the chapter\'s server running', async () => {
    const page = await open('/en/tcp-demo/');
    const server = await runCell(page, 'tcp-demo-server');
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    await expect.poll(() => output(server).textContent(), { timeout: 15_000 }).not.toBe('');
    const root = await runCell(page, 'py2-bytes');
    await expect.poll(() => root.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 1 · /);
    expect(await output(root).textContent()).toContain("TypeError: a bytes-like object is required, not 'str'");
    await server.getByRole('button', { name: 'Stop' }).click();
    await page.context().close();
  });

  test('web demo: reloading the preview after the server stopped shows a notice in the page\'s language', async () => {
    const page = await open('/zh/web-demo/');
    const server = await runCell(page, 'web-server');
    await expect.poll(() => server.frameLocator('iframe').locator('body').textContent({ timeout: 2_000 }).catch(() => ''), { timeout: 15_000 }).toContain('Hello, World');
    await server.getByRole('button', { name: '停止' }).click();
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('idle');
    await server.getByRole('button', { name: '重新加载预览' }).click();
    await expect.poll(() => server.locator('.wb-preview-empty').textContent(), { timeout: 15_000 }).toMatch(/端口 8080 上的服务器没有应答/);
    expect(await server.locator('iframe').isHidden()).toBe(true);
    await page.context().close();
  });

  test('web demo: the preview pane shows what the reader\'s server answers', async () => {
    const page = await open('/en/web-demo/');
    const server = await runCell(page, 'web-server');
    const frame = server.locator('iframe');
    await expect.poll(() => frame.getAttribute('src'), { timeout: 15_000 }).toMatch(/^\/api\/sessions\/[^/]+\/preview\/8080\/$/);
    // A sandboxed frame without same-origin privileges: the page it shows is untrusted.
    const sandbox = (await frame.getAttribute('sandbox')) ?? '';
    expect(sandbox.split(/\s+/)).not.toContain('allow-same-origin');
    await expect.poll(() => server.frameLocator('iframe').locator('body').textContent({ timeout: 2_000 }).catch(() => ''), { timeout: 15_000 }).toContain('Hello, World');
    await server.getByRole('button', { name: 'Stop' }).click();
    await page.context().close();
  });

  test('reset network ends the page\'s programs', async () => {
    const page = await open('/en/overview/');
    const server = await runCell(page, 'tcp-server');
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    await page.getByRole('button', { name: 'Reset network' }).click();
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('idle');
    expect(await server.locator('.wb-exit').textContent()).toMatch(/^(network reset|stopped|sandbox error) · /);
    // The next run gets a fresh session.
    const again = await runCell(page, 'socket-is-a-file');
    await expect.poll(() => again.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 0 · /);
    await page.context().close();
  });

  test('keyboard: Ctrl+Enter in the code runs the cell, Esc stops it', async () => {
    const page = await open('/en/overview/');
    const server = cell(page, 'tcp-server');
    await server.locator('.wb-panel:not([hidden]) .wb-code').focus();
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => server.getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    await page.keyboard.press('Escape');
    await expect.poll(() => server.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^stopped \(Ctrl-C, SIGINT\) · /);
    // Shift+Enter runs and moves focus on to the next cell.
    const first = cell(page, 'socket-is-a-file');
    await first.locator('.wb-code').focus();
    await page.keyboard.press('Shift+Enter');
    await expect.poll(() => first.locator('.wb-exit').textContent(), { timeout: 15_000 }).toMatch(/^exit 0 · /);
    const focusedCell = await page.evaluate(() => document.activeElement?.closest('workbook-cell')?.getAttribute('data-cell-ids'));
    const ids = await page.locator('workbook-cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-cell-ids')));
    expect(focusedCell).toBe(ids[ids.indexOf('socket-is-a-file') + 1]);
    await page.context().close();
  });
});

describe('lazy editor', () => {
  test('no Monaco or editor-worker request before editing; Monaco replaces the code after a click', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));
    await page.goto(site.url + '/en/overview/');
    await runnerChecked(page);
    await page.waitForLoadState('networkidle');
    const editorish = (path: string) => /monaco|editor|codicon/i.test(path);
    expect(requests.filter(editorish)).toEqual([]);
    expect(await page.locator('.monaco-editor').count()).toBe(0);

    const root = cell(page, 'socket-is-a-file');
    // Click on the third line of the highlighted code.
    await root.locator('.ec-line').nth(2).click();
    await root.locator('.monaco-editor').waitFor();
    expect(requests.filter(editorish).length).toBeGreaterThan(0);
    expect(await root.locator('.expressive-code').isHidden()).toBe(true);
    // The caret is where the reader clicked: typing lands on the third line.
    await page.keyboard.type('#');
    const lines = await root.locator('.monaco-editor .view-line').allTextContents();
    expect(lines.findIndex((line) => line.includes('#'))).toBe(2);
    await page.context().close();
  });
});

afterAll(() => {
  expect(browser?.offLoopback ?? []).toEqual([]);
});
