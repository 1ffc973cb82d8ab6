/**
 * The sidebar comes from the content (build side, no browser): pages by `sidebar.order`, folders
 * as groups labelled by their `_group.json`, `_` files unpublished, and clear errors naming the
 * file when a page or folder cannot be placed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { buildSidebar, frontmatterOrder, localeRootRedirects, pagesInOrder, readOutline } from '../../src/site/sidebar.ts';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function site(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'sidebar-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const page = (order: number, form: 'inline' | 'block' = 'inline') =>
  form === 'inline' ? `---\ntitle: t\nsidebar: { order: ${order} }\n---\n` : `---\ntitle: t\nsidebar:\n  label: x\n  order: ${order}\n---\n`;
const group = (order: number) => JSON.stringify({ label: { zh: '方法', en: 'Methods' }, order });

describe('sidebar from the content', () => {
  test('reads both YAML forms of sidebar.order', () => {
    expect(frontmatterOrder(page(7))).toBe(7);
    expect(frontmatterOrder(page(42, 'block'))).toBe(42);
    expect(frontmatterOrder('---\ntitle: t\n---\n')).toBeUndefined();
  });

  test('a new chapter with order 70-79 lands between the demos and the glossary, with no code change', () => {
    const root = site({
      'zh/index.mdx': page(0),
      'zh/overview.mdx': page(10),
      'zh/glossary.mdx': page(90),
      'zh/web-demo.mdx': page(60),
      'zh/troubleshooting.mdx': page(75, 'block'),
      'zh/framing.mdx': page(70),
      'zh/methods/_group.json': group(30),
      'zh/methods/listen.mdx': page(2),
      'zh/methods/bind.mdx': page(1),
      'zh/_draft.mdx': page(1),
    });
    expect(pagesInOrder(readOutline(join(root, 'zh')))).toEqual([
      'overview', 'methods/bind', 'methods/listen', 'web-demo', 'framing', 'troubleshooting', 'glossary',
    ]);
    expect(buildSidebar(root)).toEqual([
      'overview',
      { label: '方法', translations: { 'zh-CN': '方法', en: 'Methods' }, items: ['methods/bind', 'methods/listen'] },
      'web-demo', 'framing', 'troubleshooting', 'glossary',
    ]);
    // A locale with a landing page needs no redirect.
    expect(localeRootRedirects(root, ['zh'])).toEqual({});
  });

  test('a locale without a landing page redirects to its first chapter by order', () => {
    const root = site({ 'en/b.mdx': page(20), 'en/a.mdx': page(30) });
    expect(localeRootRedirects(root, ['en'])).toEqual({ '/en': '/en/b/' });
  });

  test('a page without sidebar.order fails, naming the file and the fix', () => {
    const root = site({ 'zh/lost.mdx': '---\ntitle: t\n---\n' });
    expect(() => buildSidebar(root)).toThrow(/lost\.mdx has no sidebar\.order: add `sidebar: \{ order: <number> \}`/);
  });

  test('a folder without _group.json, or with a label missing a language, fails naming it', () => {
    expect(() => buildSidebar(site({ 'zh/extra/a.mdx': page(1) }))).toThrow(/extra\/ is a folder of pages but has no _group\.json/);
    rmSync(dir, { recursive: true, force: true });
    const root = site({ 'zh/extra/a.mdx': page(1), 'zh/extra/_group.json': JSON.stringify({ label: { zh: '额外' }, order: 5 }) });
    expect(() => buildSidebar(root)).toThrow(/_group\.json needs "label": \{ "en": "…" \}/);
  });
});
