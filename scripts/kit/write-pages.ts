/**
 * Writing a new page pair (zh + en) safely: refuses to overwrite unless forced, and says which
 * path cannot be written and why, before any slow work (running cells) starts.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { displayPath, KitError, SOURCE_LOCALE } from './content.ts';
import { sidebarOrder } from './page.ts';

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---/;

/** Fails early, with what to do, when a target exists (without force) or cannot be written. */
export function checkWritable(files: string[], force: boolean): void {
  for (const file of files) {
    if (existsSync(file)) {
      if (!force) throw new KitError(`${displayPath(file)} already exists; pass --force to overwrite it, or choose another path.`);
      if (!statSync(file).isFile()) throw new KitError(`${file} exists and is not a file; choose another path.`);
    }
    // The nearest folder that exists must be a folder we may write in.
    let dir = dirname(file);
    while (!existsSync(dir)) dir = dirname(dir);
    if (!statSync(dir).isDirectory()) throw new KitError(`Cannot write ${file}: ${dir} is a file, not a folder; choose another path.`);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      throw new KitError(`Cannot write ${file}: no permission to write in ${dir}; fix its permissions or choose another --content folder.`);
    }
  }
}

export function writePage(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new KitError(`Cannot write ${file} (${code ?? message}); check the folder's permissions and free space, or choose another path.`);
  }
}

/** One more than the largest `sidebar.order` among the zh pages of the page's folder (1 when none). */
export function nextSidebarOrder(contentDir: string, path: string): number {
  const folder = join(contentDir, SOURCE_LOCALE, dirname(path));
  if (!existsSync(folder)) return 1;
  return lastOrderIn(folder) + 1;
}

/** The largest order among a folder's pages and its sub-folders' groups (0 when none). */
function lastOrderIn(folder: string): number {
  let last = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      last = Math.max(last, groupOf(join(folder, entry.name))?.order ?? 0);
    } else if (entry.isFile() && /\.mdx?$/.test(entry.name) && entry.name !== 'index.mdx' && entry.name !== 'index.md') {
      const frontmatter = FRONTMATTER.exec(readFileSync(join(folder, entry.name), 'utf8'))?.[1] ?? '';
      last = Math.max(last, sidebarOrder(frontmatter) ?? 0);
    }
  }
  return last;
}

/** The file that makes a folder a sidebar group (see src/site/sidebar.ts). */
export const GROUP_FILE = '_group.json';

function groupOf(folder: string): { order?: number } | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, GROUP_FILE), 'utf8')) as { order?: number };
  } catch {
    return undefined;
  }
}

/**
 * The group files a page's folders need to show in the sidebar, for the folders that have none
 * yet: labelled with the folder's name in every locale (to be translated), placed after the
 * last entry of the folder above. Returns [file, text] pairs to write.
 */
export function missingGroupFiles(contentDir: string, locales: readonly string[], path: string): [string, string][] {
  const folders = dirname(path) === '.' ? [] : dirname(path).split('/').map((_, k, parts) => parts.slice(0, k + 1).join('/'));
  const files: [string, string][] = [];
  for (const folder of folders) {
    const parent = join(contentDir, SOURCE_LOCALE, dirname(folder));
    const order = (existsSync(parent) ? lastOrderIn(parent) : 0) + 1;
    const name = folder.split('/').at(-1)!;
    const existing = locales.map((locale) => join(contentDir, locale, folder, GROUP_FILE)).find((file) => existsSync(file));
    const text = existing ? readFileSync(existing, 'utf8') : `${JSON.stringify({ label: Object.fromEntries(locales.map((l) => [l, name])), order }, null, 2)}\n`;
    for (const locale of locales) {
      const file = join(contentDir, locale, folder, GROUP_FILE);
      if (!existsSync(file)) files.push([file, text]);
    }
  }
  return files;
}
