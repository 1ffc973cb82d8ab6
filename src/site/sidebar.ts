/**
 * The sidebar, in the article's order. Built from the chapter files that exist, so the site
 * builds while chapters are still being written (a sidebar slug with no page fails the build).
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** Chapters at the top level, in the order the article presents them. */
export const CHAPTER_ORDER = ['overview', 'parameters', 'methods', 'tcp-demo', 'udp-demo', 'web-demo', 'glossary'] as const;

/** The methods, in the article's order (the group's pages also carry `sidebar.order`). */
export const METHOD_ORDER = [
  'bind', 'listen', 'setblocking', 'accept', 'connect', 'connect_ex', 'close', 'recv', 'recvfrom',
  'send', 'sendall', 'sendto', 'settimeout', 'getpeername', 'getsockname', 'fileno',
] as const;

/** Locale roots (`/zh/`, `/en/`) that have no landing page, to redirect to the first chapter. */
export function localeRootRedirects(chaptersDir: string, locales: readonly string[]): Record<string, string> {
  const redirects: Record<string, string> = {};
  for (const locale of locales) {
    if (!pageExists(join(chaptersDir, locale), 'index')) redirects[`/${locale}`] = `/${locale}/overview/`;
  }
  return redirects;
}

/** The chapters folder: `WORKBOOK_CONTENT_DIR` or `content/`, as an absolute path. */
export function contentDir(root: string = process.cwd()): string {
  const dir = process.env.WORKBOOK_CONTENT_DIR || 'content';
  return isAbsolute(dir) ? dir : resolve(root, dir);
}

type SidebarItem =
  | string
  | { label: string; translations: Record<string, string>; items: SidebarItem[] }
  | { autogenerate: { directory: string } };

const pageExists = (dir: string, slug: string) =>
  existsSync(join(dir, `${slug}.mdx`)) || existsSync(join(dir, `${slug}.md`));

/**
 * Starlight sidebar config. Reads the default locale's folder (zh): Starlight shows the same
 * entries in every locale, falling back to zh where a translation is missing.
 */
export function buildSidebar(chaptersDir: string, localeId = 'zh'): SidebarItem[] {
  const dir = join(chaptersDir, localeId);
  if (!existsSync(dir)) return [];
  const items: SidebarItem[] = [];
  // The landing page (index) is reached through the site title, as in Starlight's own docs.
  const known = new Set<string>([...CHAPTER_ORDER, 'index']);
  for (const chapter of CHAPTER_ORDER) {
    if (chapter === 'methods') {
      if (existsSync(join(dir, 'methods'))) {
        items.push({ label: 'Methods', translations: { 'zh-CN': '方法' }, items: [{ autogenerate: { directory: 'methods' } }] });
      }
    } else if (pageExists(dir, chapter)) {
      items.push(chapter);
    }
  }
  // Chapters beyond the article (another lesson set, an appendix) follow, alphabetically.
  const extras = readdirSync(dir)
    .filter((name) => /\.mdx?$/.test(name) && !name.startsWith('_'))
    .map((name) => name.replace(/\.mdx?$/, ''))
    .filter((slug) => !known.has(slug))
    .sort();
  items.push(...extras);
  return items;
}
