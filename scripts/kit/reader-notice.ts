/**
 * What a built page tells its reader about its translation, computed at build time from the
 * content with the same status `npm run translation-status` prints (status.ts), so the site
 * and the command never disagree:
 * - `missing`: the page does not exist in the reader's language; the site shows (or offers) the
 *   other language's page, and the notice links to it;
 * - `outdated`: the en page translates an older version of its zh source (a zh unit changed,
 *   was added or deleted since the translation was marked); the notice gives the date the zh
 *   page last changed and links to it.
 * A page in step (or not yet marked at all) gets no notice.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pageFile, SOURCE_LOCALE, TARGET_LOCALE } from './content.ts';
import { isOutdated, pageStatus } from './status.ts';

export type ReaderNotice =
  | { kind: 'missing'; locale: string; otherLocale: string }
  | { kind: 'outdated'; locale: string; sourceLocale: string; sourceUpdated: Date };

/**
 * The notice for the page `path` (`methods/bind`) read in `locale`, or undefined. Pages that
 * exist in neither language (the parallel view, 404) get none.
 */
export function readerNotice(contentDir: string, locale: string, path: string): ReaderNotice | undefined {
  if (locale !== SOURCE_LOCALE && locale !== TARGET_LOCALE) return undefined;
  const otherLocale = locale === SOURCE_LOCALE ? TARGET_LOCALE : SOURCE_LOCALE;
  const own = existsSync(pageFile(contentDir, locale, path));
  const other = existsSync(pageFile(contentDir, otherLocale, path));
  if (!own) return other ? { kind: 'missing', locale, otherLocale } : undefined;
  if (locale !== TARGET_LOCALE || !other) return undefined;
  let status;
  try {
    status = pageStatus(contentDir, path);
  } catch {
    return undefined;
  }
  const t = status.translation;
  if (!t || t.untracked || !isOutdated(t)) return undefined;
  return { kind: 'outdated', locale, sourceLocale: SOURCE_LOCALE, sourceUpdated: lastChanged(pageFile(contentDir, SOURCE_LOCALE, path)) };
}

/**
 * When a file last changed: its modification time when it differs from git (edited, not yet
 * committed, or not in a repository), else its last commit's date (a fresh checkout's
 * modification times say when it was checked out, not when it was written).
 */
export function lastChanged(file: string): Date {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: dirname(file), encoding: 'utf8' });
  const tracked = git('ls-files', '--error-unmatch', '--', file);
  const dirty = git('status', '--porcelain', '--', file);
  if (tracked.status === 0 && dirty.status === 0 && dirty.stdout.trim() === '') {
    const date = git('log', '-1', '--format=%cI', '--', file).stdout.trim();
    if (date) return new Date(date);
  }
  return statSync(file).mtime;
}

/** The date as a reader of `locale` writes it (`December 2, 2026`, `2026年12月2日`). */
export function formatNoticeDate(date: Date, lang: string): string {
  return new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }).format(date);
}
