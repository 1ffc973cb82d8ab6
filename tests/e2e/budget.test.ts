/** The JavaScript a chapter ships before a reader edits stays within budget (60 KB gzipped). */
import { beforeAll, expect, test } from 'vitest';
import { measurePageJs, PAGE_JS_BUDGET_BYTES } from '../../src/build/page-js-size.ts';
import { DIST, ensureBuilt } from './support.ts';

beforeAll(() => ensureBuilt());

test('every chapter ships at most 60 KB of gzipped JavaScript before editing, and no editor code', async () => {
  const sizes = await measurePageJs(DIST);
  expect(sizes.length).toBeGreaterThanOrEqual(40);
  const over = sizes.filter((size) => size.gzipBytes > PAGE_JS_BUDGET_BYTES).map((size) => `${size.page}: ${size.gzipBytes} B`);
  expect(over).toEqual([]);
  for (const size of sizes) expect(size.files.filter((file) => /editor|monaco/i.test(file))).toEqual([]);
  // The cell client is part of what is counted on a page with cells.
  const overview = sizes.find((size) => size.page === '/en/overview/');
  expect(overview?.files.some((file) => /\/cells\.[\w-]+\.js$/.test(file))).toBe(true);
});
