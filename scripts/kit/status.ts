/**
 * The translation status of every page of a content folder, and marking an en page (or one of
 * its units) as translating the current zh text.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { displayPath, KitError, listPages, pageFile, SOURCE_LOCALE, TARGET_LOCALE } from './content.ts';
import { readPage, type Page } from './page.ts';
import { compareCells, compareTranslation, type TranslationStatus } from './translation.ts';

export interface PageStatus {
  path: string;
  zhExists: boolean;
  enExists: boolean;
  /** Present when both exist and parse. */
  translation?: TranslationStatus;
  cellProblems: string[];
  /** A page that is not valid MDX. */
  parseErrors: string[];
  reviewNotes: number;
}

export type PageVerdict = 'ok' | 'missing' | 'untracked' | 'outdated' | 'awaiting' | 'cells' | 'broken';

/** The worst thing about a page, for the summary line and `--check`. */
export function verdictOf(status: PageStatus): PageVerdict {
  if (status.parseErrors.length) return 'broken';
  if (!status.zhExists || !status.enExists) return 'missing';
  if (status.cellProblems.length) return 'cells';
  const t = status.translation!;
  if (t.untracked) return 'untracked';
  if (isOutdated(t)) return 'outdated';
  if (t.units.some((u) => u.state === 'awaiting')) return 'awaiting';
  return 'ok';
}

/** A zh unit changed, was added or was deleted since the en page was marked. */
export function isOutdated(t: TranslationStatus): boolean {
  return t.orphanMarkers.length > 0 || t.units.some((u) => u.state === 'outdated' || u.state === 'untranslated');
}

function tryRead(file: string, errors: string[]): Page | undefined {
  try {
    return readPage(file);
  } catch (error) {
    errors.push((error as Error).message);
    return undefined;
  }
}

export function pageStatus(contentDir: string, path: string): PageStatus {
  const zhFile = pageFile(contentDir, SOURCE_LOCALE, path);
  const enFile = pageFile(contentDir, TARGET_LOCALE, path);
  const status: PageStatus = { path, zhExists: existsSync(zhFile), enExists: existsSync(enFile), cellProblems: [], parseErrors: [], reviewNotes: 0 };
  const zh = status.zhExists ? tryRead(zhFile, status.parseErrors) : undefined;
  const en = status.enExists ? tryRead(enFile, status.parseErrors) : undefined;
  status.reviewNotes = (zh?.reviewNotes ?? 0) + (en?.reviewNotes ?? 0);
  if (zh && en) {
    status.translation = compareTranslation(zh, en);
    status.cellProblems = compareCells(zh, en);
  } else {
    // A page in one language only still gets its bad cells reported (file:line: what to do).
    status.cellProblems = [zh?.cellError, en?.cellError].filter((error) => error !== undefined);
  }
  return status;
}

export function allPageStatuses(contentDir: string): PageStatus[] {
  const paths = [...new Set([...listPages(contentDir, SOURCE_LOCALE), ...listPages(contentDir, TARGET_LOCALE)])].sort();
  return paths.map((path) => pageStatus(contentDir, path));
}

const preview = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
};

/** Human-readable report: one summary line per page, then what is wrong with it. */
export function formatStatus(statuses: PageStatus[], contentDir: string): string {
  const lines: string[] = [];
  const width = Math.max(4, ...statuses.map((s) => s.path.length));
  for (const status of statuses) {
    const verdict = verdictOf(status);
    const t = status.translation;
    const count = (state: string) => t?.units.filter((u) => u.state === state).length ?? 0;
    const summary: Record<PageVerdict, string> = {
      ok: `up to date (${count('translated')}/${t?.units.length ?? 0} units)`,
      missing: `missing ${!status.zhExists ? SOURCE_LOCALE : TARGET_LOCALE}`,
      untracked: 'en records no source versions: check it, then run --mark en/' + status.path,
      outdated: `outdated: ${count('outdated')} changed, ${count('untranslated')} new in zh, ${t?.orphanMarkers.length ?? 0} deleted in zh`,
      awaiting: `awaiting translation: ${count('awaiting')} of ${t?.units.length ?? 0} units`,
      cells: 'cells out of step',
      broken: 'cannot be read',
    };
    const flags = `${SOURCE_LOCALE} ${status.zhExists ? '✓' : '✗'}  ${TARGET_LOCALE} ${status.enExists ? '✓' : '✗'}`;
    const review = status.reviewNotes ? `  (${status.reviewNotes} review note${status.reviewNotes > 1 ? 's' : ''} left by the import)` : '';
    lines.push(`${verdict === 'ok' ? '  ' : '! '}${status.path.padEnd(width)}  ${flags}  ${summary[verdict]}${review}`);
    for (const error of status.parseErrors) lines.push(`      ${error}`);
    for (const problem of status.cellProblems) lines.push(`      cells: ${problem}`);
    if (verdict === 'missing') {
      const have = status.zhExists ? SOURCE_LOCALE : TARGET_LOCALE;
      lines.push(`      ${displayPath(pageFile(contentDir, have, status.path))} has no twin in ${status.zhExists ? TARGET_LOCALE : SOURCE_LOCALE}/`);
    }
    if (t && !t.untracked) {
      for (const u of t.units) {
        if (u.state === 'outdated') lines.push(`      unit ${u.unit.index} (zh line ${u.unit.line}) changed since en line ${u.marker!.line} was translated: ${preview(u.unit.text)}`);
        if (u.state === 'untranslated') lines.push(`      unit ${u.unit.index} (zh line ${u.unit.line}) has no translation in en: ${preview(u.unit.text)}`);
      }
      for (const marker of t.orphanMarkers) lines.push(`      en line ${marker.line} translates a zh unit that no longer exists (src: ${marker.hash})`);
    }
  }
  const bad = statuses.filter((s) => verdictOf(s) !== 'ok').length;
  lines.push('', `${statuses.length} page${statuses.length === 1 ? '' : 's'}, ${bad} not up to date.`);
  return lines.join('\n');
}

export interface MarkOptions {
  /** Mark only this unit (1-based, as the status prints it). */
  unit?: number;
  /** Mark even though awaiting-translation asides remain. */
  force?: boolean;
}

/**
 * Rewrites the en page's markers so that they name the current zh text (and drop `todo`). For a
 * whole page, every zh unit needs a marker in en; units the en page lacks are reported, since
 * only the translator can write their translation.
 */
export function markTranslated(contentDir: string, path: string, options: MarkOptions = {}): string[] {
  const zhFile = pageFile(contentDir, SOURCE_LOCALE, path);
  const enFile = pageFile(contentDir, TARGET_LOCALE, path);
  if (!existsSync(zhFile)) throw new KitError(`${zhFile} does not exist: there is no zh source to mark en/${path} against.`);
  if (!existsSync(enFile)) throw new KitError(`${enFile} does not exist: translate the page first (npm run import or npm run new-page create it).`);
  const zh = readPage(zhFile);
  const en = readPage(enFile);
  const status = compareTranslation(zh, en);
  const done: string[] = [];
  const edits: { start: number; end: number; text: string }[] = [];
  const markerText = (hash: string, inFrontmatter: boolean) => (inFrontmatter ? `# src: ${hash}` : `{/* src: ${hash} */}`);
  const frontmatterEnd = en.source.indexOf('\n---', 3);
  const isFrontmatterMarker = (start: number) => en.source.startsWith('---') && start < frontmatterEnd;

  if (status.untracked) {
    // A page translated by hand before the kit existed: record the current versions, unit by
    // unit, if the two pages have the same shape.
    const enUnits = en.units;
    if (enUnits.length !== zh.units.length) {
      throw new KitError(`en/${path} records no source versions and has ${enUnits.length} units where zh has ${zh.units.length}; add {/* src: new */} before each translated unit by hand, or re-import.`);
    }
    for (const [k, zhUnit] of zh.units.entries()) {
      if (options.unit !== undefined && options.unit !== zhUnit.index) continue;
      if (zhUnit.kind === 'frontmatter') {
        const close = en.source.indexOf('\n---', 3);
        edits.push({ start: close, end: close, text: `\n${markerText(zhUnit.hash, true)}` });
      } else {
        const line = enUnits[k].line;
        const offset = en.source.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
        edits.push({ start: offset, end: offset, text: `${markerText(zhUnit.hash, false)}\n` });
      }
      done.push(`unit ${zhUnit.index}`);
    }
  } else {
    const missing = status.units.filter((u) => !u.marker && (options.unit === undefined || options.unit === u.unit.index));
    if (missing.length) {
      throw new KitError(
        `en/${path} has no translation of ${missing.map((u) => `unit ${u.unit.index} (zh line ${u.unit.line}: ${preview(u.unit.text)})`).join('; ')}. ` +
          'Write its translation and put {/* src: new */} before it, then mark again.',
      );
    }
    const chosen = status.units.filter((u) => options.unit === undefined || u.unit.index === options.unit);
    if (options.unit !== undefined && chosen.length === 0) throw new KitError(`zh/${path} has no unit ${options.unit}; it has ${zh.units.length}.`);
    const stillAside = chosen.filter((u) => u.marker!.awaitingAside);
    if (stillAside.length && !options.force) {
      throw new KitError(
        `en/${path} still shows the zh text under "${'待翻译 / Awaiting translation'}" at line${stillAside.length > 1 ? 's' : ''} ${stillAside.map((u) => u.marker!.line + 1).join(', ')}: ` +
          'replace each aside with its translation (or pass --force to mark anyway).',
      );
    }
    for (const u of chosen) {
      const marker = u.marker!;
      edits.push({ start: marker.start, end: marker.end, text: markerText(u.unit.hash, isFrontmatterMarker(marker.start)) });
      done.push(`unit ${u.unit.index}`);
    }
    if (options.unit === undefined) {
      // Markers of deleted zh units go, so the page is in step again (their text stays for the translator to remove).
      for (const marker of status.orphanMarkers) edits.push({ start: marker.start, end: marker.end, text: '' });
    }
  }
  edits.sort((a, b) => b.start - a.start);
  let text = en.source;
  for (const edit of edits) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  writeFileSync(enFile, text);
  return done;
}
