/**
 * The sidebar, read from the content: no chapter list lives in code.
 * - a page's place is its frontmatter `sidebar.order` (Starlight's own field);
 * - a folder is a group; its label (in every language) and its place come from `_group.json` in
 *   that folder (`{ "label": { "zh": "方法", "en": "Methods" }, "order": 30 }`);
 * - files and folders whose names start with `_` are not published; `index` is the locale's
 *   landing page, reached through the site title, so it is not a sidebar entry.
 * Starlight derives previous/next links from this order, so they follow it too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { LOCALES } from '../i18n/locales.ts';

/** The chapters folder: `WORKBOOK_CONTENT_DIR` or `content/`, as an absolute path. */
export function contentDir(root: string = process.cwd()): string {
  const dir = process.env.WORKBOOK_CONTENT_DIR || 'content';
  return isAbsolute(dir) ? dir : resolve(root, dir);
}

export const GROUP_FILE = '_group.json';
const PAGE_FILE = /\.mdx?$/;

export type SidebarItem = string | { label: string; translations: Record<string, string>; items: SidebarItem[] };

/** One entry of a locale's outline: a page (`methods/bind`) or a group of entries. */
export type OutlineEntry =
  | { kind: 'page'; slug: string; order: number }
  | { kind: 'group'; folder: string; order: number; label: Record<string, string>; entries: OutlineEntry[] };

/** A content file or folder that cannot be placed, with what to do about it. */
export class OutlineError extends Error {}

/**
 * `sidebar.order` from a page's frontmatter, in either YAML form Starlight accepts:
 * `sidebar: { order: 3 }` or `sidebar:` followed by an indented `order: 3`.
 */
export function frontmatterOrder(source: string): number | undefined {
  const frontmatter = /^---\r?\n([\s\S]*?)\r?\n---/.exec(source)?.[1];
  if (frontmatter === undefined) return undefined;
  const inline = /^sidebar:\s*\{[^}\n]*\border:\s*(-?\d+)/m.exec(frontmatter);
  if (inline) return Number(inline[1]);
  const block = /^sidebar:[ \t]*\r?\n((?:[ \t]+[^\n]*\r?\n?)*)/m.exec(frontmatter);
  const order = block && /^[ \t]+order:\s*(-?\d+)\s*$/m.exec(block[1]);
  return order ? Number(order[1]) : undefined;
}

function readGroup(folder: string, root: string): { order: number; label: Record<string, string> } {
  const file = join(folder, GROUP_FILE);
  const where = relative(root, file);
  if (!existsSync(file)) {
    throw new OutlineError(
      `${relative(root, folder)}/ is a folder of pages but has no ${GROUP_FILE}: add one with ` +
        `{ "label": { ${LOCALES.map((l) => `"${l.id}": "…"`).join(', ')} }, "order": <number> } to place it in the sidebar.`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OutlineError(`${where} is not valid JSON (${(error as Error).message}).`);
  }
  const group = data as { label?: Record<string, unknown>; order?: unknown };
  if (typeof group.order !== 'number' || !Number.isFinite(group.order)) {
    throw new OutlineError(`${where} needs a numeric "order" (the group's place among its siblings).`);
  }
  const label: Record<string, string> = {};
  for (const locale of LOCALES) {
    const text = group.label?.[locale.id];
    if (typeof text !== 'string' || text.trim() === '') {
      throw new OutlineError(`${where} needs "label": { "${locale.id}": "…" } (the group's name in ${locale.label}).`);
    }
    label[locale.id] = text;
  }
  return { order: group.order, label };
}

const byOrderThenName = (a: OutlineEntry, b: OutlineEntry) =>
  a.order - b.order || nameOf(a).localeCompare(nameOf(b));
const nameOf = (entry: OutlineEntry) => (entry.kind === 'page' ? entry.slug : entry.folder);

/**
 * A locale's outline (`content/<locale>/`), ordered as the reader sees it. Throws an
 * OutlineError naming the file when a page has no `sidebar.order` or a folder has no group file.
 */
export function readOutline(localeDir: string, root: string = localeDir, prefix = ''): OutlineEntry[] {
  const entries: OutlineEntry[] = [];
  for (const name of readdirSync(localeDir).sort()) {
    if (name.startsWith('_') || name.startsWith('.')) continue;
    const path = join(localeDir, name);
    if (statSync(path).isDirectory()) {
      const inner = readOutline(path, root, `${prefix}${name}/`);
      if (inner.length === 0) continue;
      entries.push({ kind: 'group', folder: `${prefix}${name}`, ...readGroup(path, root), entries: inner });
    } else if (PAGE_FILE.test(name)) {
      const slug = `${prefix}${name.replace(PAGE_FILE, '')}`;
      if (slug === 'index') continue;
      const order = frontmatterOrder(readFileSync(path, 'utf8'));
      if (order === undefined) {
        throw new OutlineError(
          `${relative(root, path)} has no sidebar.order: add \`sidebar: { order: <number> }\` to its frontmatter to place it in the sidebar.`,
        );
      }
      entries.push({ kind: 'page', slug, order });
    }
  }
  return entries.sort(byOrderThenName);
}

/** The pages of an outline in reading order (the order of previous/next). */
export function pagesInOrder(outline: OutlineEntry[]): string[] {
  return outline.flatMap((entry) => (entry.kind === 'page' ? [entry.slug] : pagesInOrder(entry.entries)));
}

function toSidebar(outline: OutlineEntry[], defaultLocale: string): SidebarItem[] {
  return outline.map((entry) =>
    entry.kind === 'page'
      ? entry.slug
      : {
          label: entry.label[defaultLocale],
          translations: Object.fromEntries(LOCALES.map((l) => [l.lang, entry.label[l.id]])),
          items: toSidebar(entry.entries, defaultLocale),
        },
  );
}

/**
 * Starlight sidebar config. Reads the default locale's folder (zh): Starlight shows the same
 * entries in every locale (the structure check keeps both locales' pages and orders equal).
 */
export function buildSidebar(chaptersDir: string, localeId = 'zh'): SidebarItem[] {
  const dir = join(chaptersDir, localeId);
  if (!existsSync(dir)) return [];
  return toSidebar(readOutline(dir), localeId);
}

/** Locale roots (`/zh/`, `/en/`) that have no landing page, to redirect to the first chapter. */
export function localeRootRedirects(chaptersDir: string, locales: readonly string[]): Record<string, string> {
  const redirects: Record<string, string> = {};
  for (const locale of locales) {
    const dir = join(chaptersDir, locale);
    if (!existsSync(dir) || hasPage(dir, 'index')) continue;
    const first = pagesInOrder(readOutline(dir))[0];
    if (first) redirects[`/${locale}`] = `/${locale}/${first}/`;
  }
  return redirects;
}

const hasPage = (dir: string, slug: string) =>
  existsSync(join(dir, `${slug}.mdx`)) || existsSync(join(dir, `${slug}.md`));
