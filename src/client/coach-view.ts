/**
 * Shows the error coach's entries (error-coach.ts) under a cell's output: a short explanation in
 * the page's language and a link to the chapter that teaches the fix.
 */
import { coachEntries } from './error-coach.ts';
import { t } from './page-strings.ts';

/** The page's locale, as the build wrote it on the runner bar. */
export function pageLocale(): string {
  return document.querySelector<HTMLElement>('workbook-session[data-locale]')?.dataset.locale ?? document.documentElement.lang;
}

/** Replaces the coach box after `output` with the entries for `text` (none: no box). */
export function showCoach(output: HTMLElement, text: string): void {
  const old = output.parentElement?.querySelector('.wb-coach');
  old?.remove();
  const entries = coachEntries(text);
  if (entries.length === 0) return;
  const box = document.createElement('aside');
  box.className = 'wb-coach';
  box.setAttribute('aria-label', t('coach.title'));
  const title = document.createElement('p');
  title.className = 'wb-label';
  title.textContent = t('coach.title');
  box.append(title);
  for (const entry of entries) {
    const item = document.createElement('p');
    item.className = 'wb-coach-entry';
    item.dataset.coach = entry.key;
    item.textContent = `${t(`coach.${entry.key}`)} `;
    const link = document.createElement('a');
    link.href = `/${pageLocale()}/${entry.chapter}/`;
    link.textContent = t('coach.link', { chapter: t(`coach.chapter.${entry.chapter}`) });
    item.append(link);
    box.append(item);
  }
  output.after(box);
}
