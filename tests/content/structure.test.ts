/**
 * Static checks of the chapters: both locales have the same pages and the same cells, internal
 * links and glossary anchors resolve, every correction of the errata is marked in both locales,
 * and every page credits the article. (Running the cells is cells.test.ts.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CONTENT = join(ROOT, 'content');
const LOCALES = ['zh', 'en'] as const;
const CREDIT_URL = 'https://www.cnblogs.com/fanglijiao/p/15060004.html';
const ERRATA_ROWS = 23;
/** Every page of a locale: its landing page (index), then the chapters in the article's order. */
const CHAPTERS = [
  'index', 'overview', 'parameters',
  ...['bind', 'listen', 'setblocking', 'accept', 'connect', 'connect_ex', 'close', 'recv', 'recvfrom', 'send',
    'sendall', 'sendto', 'settimeout', 'getpeername', 'getsockname', 'fileno'].map((m) => `methods/${m}`),
  'tcp-demo', 'udp-demo', 'web-demo', 'glossary',
];

function pagesOf(locale: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.mdx') ? [join(dir, e.name)] : [],
    );
  return walk(join(CONTENT, locale)).map((f) => relative(join(CONTENT, locale), f).replace(/\.mdx$/, '')).sort();
}

const read = (locale: string, slug: string) => readFileSync(join(CONTENT, locale, `${slug}.mdx`), 'utf8');
/** Text outside fenced code blocks. */
const prose = (source: string) => source.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
const cellIds = (source: string) => [...source.matchAll(/^```\w+ [^\n]*\brun\b[^\n]*\bid=([a-z0-9-]+)/gm)].map((m) => m[1]);

describe('chapters', () => {
  test.each(LOCALES)('%s has every chapter, in order, and nothing else', (locale) => {
    expect(pagesOf(locale)).toEqual([...CHAPTERS].sort());
    const orders = CHAPTERS.map((slug) => Number(/sidebar:\s*\{\s*order:\s*(\d+)/.exec(read(locale, slug))?.[1]));
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(new Set(orders).size).toBe(orders.length);
  });

  test.each(CHAPTERS)('%s: both locales have the same runnable cells', (slug) => {
    expect(cellIds(read('en', slug))).toEqual(cellIds(read('zh', slug)));
  });

  test.each(LOCALES.flatMap((l) => CHAPTERS.map((s) => [l, s] as const)))('%s/%s credits the article', (locale, slug) => {
    const text = read(locale, slug);
    expect(text).toContain('Jaoany');
    expect(text).toContain('博客园');
    expect(text).toContain(CREDIT_URL);
  });
});

describe('links', () => {
  const glossaryAnchors = Object.fromEntries(
    LOCALES.map((l) => [l, new Set([...read(l, 'glossary').matchAll(/<span id="([a-z0-9-]+)"><\/span>/g)].map((m) => m[1]))]),
  );

  test('both glossaries define the same anchors', () => {
    expect([...glossaryAnchors.en].sort()).toEqual([...glossaryAnchors.zh].sort());
  });

  test.each(LOCALES.flatMap((l) => CHAPTERS.map((s) => [l, s] as const)))('%s/%s: internal links resolve', (locale, slug) => {
    const broken: string[] = [];
    for (const [, target] of prose(read(locale, slug)).matchAll(/\]\((\/[^)\s]*)\)/g)) {
      const match = /^\/(zh|en)\/([^#]*?)\/?(?:#([a-z0-9-]+))?$/.exec(target);
      if (!match) {
        broken.push(`${target}: not a /zh/ or /en/ page link`);
        continue;
      }
      const [, linkLocale, path, anchor] = match;
      if (linkLocale !== locale) broken.push(`${target}: links to the other locale`);
      if (!existsSync(join(CONTENT, linkLocale, `${path || 'index'}.mdx`))) broken.push(`${target}: no such page`);
      if (anchor && path === 'glossary' && !glossaryAnchors[linkLocale].has(anchor)) broken.push(`${target}: no such glossary entry`);
    }
    expect(broken).toEqual([]);
  });
});

describe('errata', () => {
  test.each(LOCALES)('%s marks every correction of the errata', (locale) => {
    const label = locale === 'zh' ? '勘误' : 'Correction';
    const all = CHAPTERS.map((slug) => read(locale, slug)).join('\n');
    const marked = new Set([...all.matchAll(new RegExp(`^:::caution\\[${label} #(\\d+)\\]$`, 'gm'))].map((m) => Number(m[1])));
    const missing = Array.from({ length: ERRATA_ROWS }, (_, i) => i + 1).filter((n) => !marked.has(n));
    expect(missing).toEqual([]);
  });
});
