/**
 * Where the chapters are, and which pages exist, for the kit's commands. The folder is
 * `--content <dir>`, else `WORKBOOK_CONTENT_DIR` (as the site reads it), else `content/`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
/** The source language and the translation, as the kit pairs them. */
export const SOURCE_LOCALE = 'zh';
export const TARGET_LOCALE = 'en';

/** A user-facing error: the commands print its message alone (no stack) and exit 1. */
export class KitError extends Error {
  override name = 'KitError';
}

/** A path as the user would type it from here (absolute when it lies elsewhere). */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

export function resolveContentDir(option: string | undefined): string {
  const dir = option || process.env.WORKBOOK_CONTENT_DIR || join(PROJECT_ROOT, 'content');
  const absolute = isAbsolute(dir) ? dir : resolve(process.cwd(), dir);
  if (!existsSync(absolute)) throw new KitError(`The content folder ${absolute} does not exist; pass --content <dir> (a folder holding zh/ and en/).`);
  return absolute;
}

/**
 * A page path as the commands take it: `methods/shutdown` (no locale, no extension). Rejects
 * what would land outside the locale folder or make a bad route.
 */
export function normalizePagePath(path: string): string {
  const clean = path.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '').replace(/\.mdx?$/, '');
  if (!clean) throw new KitError('The page path is empty; give one like methods/shutdown.');
  for (const segment of clean.split('/')) {
    if (segment === '..' || segment === '.' || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(segment)) {
      throw new KitError(`The page path "${path}" has a bad segment "${segment}": use letters, digits, "-" and "_" (like methods/shutdown), without the locale or ".mdx".`);
    }
  }
  if (clean.split('/')[0] === SOURCE_LOCALE || clean.split('/')[0] === TARGET_LOCALE) {
    throw new KitError(`The page path "${path}" starts with a locale; give it without one (methods/shutdown, not zh/methods/shutdown).`);
  }
  return clean;
}

export function pageFile(contentDir: string, locale: string, path: string): string {
  for (const ext of ['.mdx', '.md']) {
    const file = join(contentDir, locale, path + ext);
    if (existsSync(file)) return file;
  }
  return join(contentDir, locale, `${path}.mdx`);
}

/** Published pages of one locale (files starting with `_` are not published), as page paths. */
export function listPages(contentDir: string, locale: string): string[] {
  const root = join(contentDir, locale);
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
          if (entry.name.startsWith('_') || entry.name.startsWith('.')) return [];
          const path = join(dir, entry.name);
          if (entry.isDirectory()) return walk(path);
          return /\.mdx?$/.test(entry.name) ? [relative(root, path).split(sep).join('/').replace(/\.mdx?$/, '')] : [];
        })
      : [];
  return walk(root).sort();
}

/** Runs a command's main, printing a KitError's message alone. */
export async function runMain(main: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? 0;
  } catch (error) {
    if (error instanceof KitError) {
      console.error(`error: ${error.message}`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}
