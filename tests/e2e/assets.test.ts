/**
 * The site's files are served like a production host's (sandbox-runner/static-site.ts): the
 * build's brotli / gzip twins with their Content-Encoding, immutable caching for hashed assets,
 * revalidation for pages; and in Chromium the editor's first load arrives compressed.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cell, DIST, type BrowserHandle, type Site, closeSiteAndBrowser, openStaticSiteAndBrowser } from './support.ts';

let site: Site;
let browser: BrowserHandle;

beforeAll(async () => void ({ site, browser } = await openStaticSiteAndBrowser()));
afterAll(() => closeSiteAndBrowser(site, browser));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw GET (no automatic decompression), so the test sees the bytes on the wire. */
function get(path: string, acceptEncoding: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(site.url + path, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A hashed script the overview page loads. */
function hashedScript(): string {
  const html = readFileSync(join(DIST, 'en', 'overview', 'index.html'), 'utf8');
  const src = /<script type="module" src="(\/_astro\/[^"]+\.js)"/.exec(html)?.[1];
  expect(src).toBeDefined();
  return src!;
}

describe('static files', () => {
  test.each([
    ['br', 'br', brotliDecompressSync],
    ['gzip', 'gzip', gunzipSync],
  ] as const)('a page and a hashed script are sent %s-compressed when accepted', async (accept, encoding, decompress) => {
    for (const [path, file] of [
      ['/en/overview/', join(DIST, 'en', 'overview', 'index.html')],
      [hashedScript(), join(DIST, hashedScript())],
    ]) {
      const answer = await get(path, `${accept}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe(encoding);
      expect(answer.headers.vary).toMatch(/Accept-Encoding/i);
      expect(decompress(answer.body).equals(readFileSync(file))).toBe(true);
    }
  });

  test('without Accept-Encoding the plain file is sent', async () => {
    const answer = await get('/en/overview/', 'identity');
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.body.equals(readFileSync(join(DIST, 'en', 'overview', 'index.html')))).toBe(true);
  });

  test('hashed assets are cached for a year, immutable; pages revalidate', async () => {
    expect((await get(hashedScript(), 'br')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/en/overview/', 'br')).headers['cache-control']).toBe('no-cache');
    expect((await get('/en/overview/', 'br')).headers.etag).toBeTruthy();
  });

  test('the editor\'s first load in Chromium arrives brotli-compressed', async () => {
    const page = await browser.newPage();
    const editorEncodings: string[] = [];
    page.on('response', (response) => {
      if (/\/_astro\/editor[.-][^/]*\.js$/.test(new URL(response.url()).pathname)) editorEncodings.push(response.headers()['content-encoding'] ?? 'none');
    });
    await page.goto(site.url + '/en/overview/');
    await cell(page, 'socket-is-a-file').locator('.ec-line').first().click();
    await cell(page, 'socket-is-a-file').locator('.monaco-editor').waitFor();
    expect(editorEncodings.length).toBeGreaterThan(0);
    expect(editorEncodings.every((encoding) => encoding === 'br')).toBe(true);
    await page.context().close();
  });
});
