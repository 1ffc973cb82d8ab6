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
  let last = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile() || !/\.mdx?$/.test(entry.name) || entry.name.startsWith('_')) continue;
    const frontmatter = FRONTMATTER.exec(readFileSync(join(folder, entry.name), 'utf8'))?.[1] ?? '';
    last = Math.max(last, sidebarOrder(frontmatter) ?? 0);
  }
  return last + 1;
}
