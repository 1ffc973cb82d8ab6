/**
 * Static checks of the chapters, derived from the content itself (no chapter list here, so any
 * lesson set passes or fails on its own terms): both locales have the same pages in the same
 * sidebar order, the same runnable cells with the same options, every folder is a labelled group,
 * internal links and glossary anchors resolve, every correction of the errata is marked in both
 * locales, and the landing pages credit the article. (Running the cells is cells.test.ts.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkMdx from 'remark-mdx';
import type { Root } from 'mdast';
import { collectCells } from '../../src/cells/collect-cells.ts';
import { contentDir, pagesInOrder, readOutline, type OutlineEntry } from '../../src/site/sidebar.ts';
import { LOCALES as SITE_LOCALES } from '../../src/i18n/locales.ts';

const CONTENT = contentDir(join(import.meta.dirname, '../..'));
const LOCALES = SITE_LOCALES.map((l) => l.id);
const CREDIT_URL = 'https://www.cnblogs.com/fanglijiao/p/15060004.html';
const ERRATA_ROWS = 23;

/** Every published page of a locale (files and folders starting with `_` are not published). */
function pagesOf(locale: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('_') && !e.name.startsWith('.'))
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.mdx?$/.test(e.name) ? [join(dir, e.name)] : []));
  return walk(join(CONTENT, locale)).map((f) => relative(join(CONTENT, locale), f).replace(/\.mdx?$/, '')).sort();
}

const fileOf = (locale: string, slug: string) =>
  [join(CONTENT, locale, `${slug}.mdx`), join(CONTENT, locale, `${slug}.md`)].find((f) => existsSync(f));
const read = (locale: string, slug: string) => readFileSync(fileOf(locale, slug) ?? join(CONTENT, locale, `${slug}.mdx`), 'utf8');
/** Text outside fenced code blocks. */
const prose = (source: string) => source.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** The runnable cells of a page: id and every option (language, server, needs, stdin, ...). */
function cellsOf(locale: string, slug: string) {
  // The YAML frontmatter is blanked first (keeping line numbers): remark-mdx alone would misread it.
  const source = read(locale, slug).replace(/^---\n[\s\S]*?\n---\n/, (m) => m.replace(/[^\n]/g, ' '));
  const tree = unified().use(remarkParse).use(remarkMdx).parse(source) as Root;
  return collectCells(tree).map(({ meta }) => meta);
}

/** The outline's shape with the labels left out (labels differ by language, places must not). */
const shape = (outline: OutlineEntry[]): unknown[] =>
  outline.map((e) => (e.kind === 'page' ? [e.slug, e.order] : [e.folder, e.order, shape(e.entries)]));

const PAGES = pagesOf(LOCALES[0]);
const PAIRS = LOCALES.flatMap((l) => pagesOf(l).map((s) => [l, s] as const));

describe('chapters', () => {
  test('the content has pages', () => {
    expect(PAGES.length).toBeGreaterThan(0);
  });

  test.each(LOCALES.slice(1))('%s has the same pages as the default locale', (locale) => {
    expect(pagesOf(locale)).toEqual(PAGES);
  });

  test.each(LOCALES)('%s: every page and folder has a place in the sidebar (order, group label)', (locale) => {
    // readOutline throws naming the file that has no sidebar.order, or the folder with no _group.json.
    const outline = readOutline(join(CONTENT, locale));
    const placed = pagesInOrder(outline);
    expect(new Set(placed).size).toBe(placed.length);
    expect([...placed, ...(fileOf(locale, 'index') ? ['index'] : [])].sort()).toEqual(pagesOf(locale));
  });

  test.each(LOCALES.slice(1))('%s: the sidebar order is the default locale’s', (locale) => {
    expect(shape(readOutline(join(CONTENT, locale)))).toEqual(shape(readOutline(join(CONTENT, LOCALES[0]))));
  });

  test.each(PAGES)('%s: both locales have the same runnable cells, with the same options', (slug) => {
    const [first, ...others] = LOCALES.map((l) => cellsOf(l, slug));
    // The prose may differ; the cells are what the reader runs, and the content check runs them.
    for (const other of others) expect(other).toEqual(first);
  });

  test.each(LOCALES)('%s landing page credits the article', (locale) => {
    const text = read(locale, 'index');
    expect(text).toContain('Jaoany');
    expect(text).toContain('博客园');
    expect(text).toContain(CREDIT_URL);
  });
});

describe('links', () => {
  const anchorsOf = (locale: string, slug: string) =>
    new Set([
      ...[...read(locale, slug).matchAll(/<span id="([a-z0-9-]+)"><\/span>/g)].map((m) => m[1]),
      ...[...read(locale, slug).matchAll(/\{#([a-z0-9-]+)\}/g)].map((m) => m[1]),
    ]);

  test('both glossaries define the same anchors', () => {
    const [first, ...others] = LOCALES.map((l) => [...anchorsOf(l, 'glossary')].sort());
    for (const other of others) expect(other).toEqual(first);
  });

  test.each(PAIRS)('%s/%s: internal links resolve', (locale, slug) => {
    const broken: string[] = [];
    const localePattern = LOCALES.join('|');
    for (const [, target] of prose(read(locale, slug)).matchAll(/\]\((\/[^)\s]*)\)/g)) {
      const match = new RegExp(`^/(${localePattern})/([^#]*?)/?(?:#([a-z0-9-]+))?$`).exec(target);
      if (!match) {
        broken.push(`${target}: not a /${LOCALES.join('/ or /')}/ page link`);
        continue;
      }
      const [, linkLocale, path, anchor] = match;
      if (linkLocale !== locale) broken.push(`${target}: links to the other locale`);
      if (!fileOf(linkLocale, path || 'index')) broken.push(`${target}: no such page`);
      else if (anchor && path === 'glossary' && !anchorsOf(linkLocale, 'glossary').has(anchor)) broken.push(`${target}: no such glossary entry`);
    }
    expect(broken).toEqual([]);
  });
});

describe('errata', () => {
  test.each(LOCALES)('%s marks every correction of the errata', (locale) => {
    const label = locale === 'zh' ? '勘误' : 'Correction';
    const all = pagesOf(locale).map((slug) => read(locale, slug)).join('\n');
    const marked = new Set([...all.matchAll(new RegExp(`^:::caution\\[${label} #(\\d+)\\]$`, 'gm'))].map((m) => Number(m[1])));
    const missing = Array.from({ length: ERRATA_ROWS }, (_, i) => i + 1).filter((n) => !marked.has(n));
    expect(missing).toEqual([]);
  });
});
