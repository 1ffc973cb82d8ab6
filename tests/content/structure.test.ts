/**
 * Static checks of the chapters, derived from the content itself (no chapter list, article or
 * count here, so any lesson set passes or fails on its own terms; WORKBOOK_CONTENT_DIR checks
 * another folder): both locales have the same pages in the same sidebar order, the same
 * runnable cells with the same options (the kit's comparison, which names file:line), every
 * folder is a labelled group, internal links and anchors resolve, each page defines the same
 * anchors and credits the same sources (external links) in both locales, and the corrections
 * (`:::caution[勘误 #N]` / `[Correction #N]`) are the same, numbered from 1 without gaps, in both.
 * (Running the cells is cells.test.ts.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readPage } from '../../scripts/kit/page.ts';
import { compareCells } from '../../scripts/kit/translation.ts';
import { contentDir, pagesInOrder, readOutline, type OutlineEntry } from '../../src/site/sidebar.ts';
import { LOCALES as SITE_LOCALES } from '../../src/i18n/locales.ts';

const CONTENT = contentDir(join(import.meta.dirname, '../..'));
const LOCALES = SITE_LOCALES.map((l) => l.id);

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

/** External links (http, https) in a page's prose: its sources and references. */
const externalLinks = (source: string) =>
  [...new Set([...prose(source).matchAll(/https?:\/\/[^\s)<>\]"'`]+/g)].map((m) => m[0].replace(/[.,;:!?。，；：]+$/, '')))].sort();

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
    // The prose may differ; the cells are what the reader runs, and the content check runs them.
    // Each problem names the file and line of the cell and what to do.
    const [first, ...others] = LOCALES.map((l) => readPage(fileOf(l, slug) ?? join(CONTENT, l, `${slug}.mdx`)));
    const problems = others.flatMap((other) => compareCells(first, other));
    expect(problems, problems.join('\n')).toEqual([]);
  });

  test.each(PAGES)('%s: both locales credit the same sources (external links)', (slug) => {
    const [first, ...others] = LOCALES.map((l) => externalLinks(read(l, slug)));
    for (const other of others) expect(other).toEqual(first);
  });
});

describe('links', () => {
  const anchorsOf = (locale: string, slug: string) =>
    new Set([
      ...[...read(locale, slug).matchAll(/<span id="([a-z0-9-]+)"><\/span>/g)].map((m) => m[1]),
      ...[...read(locale, slug).matchAll(/\{#([a-z0-9-]+)\}/g)].map((m) => m[1]),
    ]);

  test.each(PAGES)('%s: both locales define the same anchors', (slug) => {
    const [first, ...others] = LOCALES.map((l) => [...anchorsOf(l, slug)].sort());
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
      else if (anchor && anchorsOf(linkLocale, path || 'index').size > 0 && !anchorsOf(linkLocale, path || 'index').has(anchor)) broken.push(`${target}: no such anchor on that page`);
    }
    expect(broken).toEqual([]);
  });
});

describe('corrections', () => {
  const LABELS: Record<string, string> = { zh: '勘误', en: 'Correction' };
  const correctionsOf = (locale: string) => {
    const all = pagesOf(locale).map((slug) => read(locale, slug)).join('\n');
    return [...new Set([...all.matchAll(new RegExp(`^:::caution\\[${LABELS[locale]} #(\\d+)\\]$`, 'gm'))].map((m) => Number(m[1])))].sort((a, b) => a - b);
  };

  test.each(LOCALES.filter((l) => LABELS[l]))('%s numbers its corrections from 1 without gaps', (locale) => {
    const marked = correctionsOf(locale);
    expect(marked).toEqual(marked.map((_, i) => i + 1));
  });

  test.each(LOCALES.slice(1).filter((l) => LABELS[l]))('%s marks the same corrections as the default locale', (locale) => {
    expect(correctionsOf(locale)).toEqual(correctionsOf(LOCALES[0]));
  });
});
