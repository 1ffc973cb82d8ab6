/**
 * One line at the end of `astro build` when some translation is missing or out of step, naming
 * the pages and the command that gives the details. An info line, not a warning: a page still
 * being translated is a normal state of a lesson set (its readers are told on the page, see
 * src/components/TranslationNotice.astro), and a build with nothing wrong prints nothing here.
 */
import type { AstroIntegration } from 'astro';
import { allPageStatuses, verdictOf, type PageVerdict } from '../../scripts/kit/status.ts';

const SAYS: Record<Exclude<PageVerdict, 'ok'>, string> = {
  missing: 'missing in one language',
  untracked: 'records no source versions',
  outdated: 'outdated',
  awaiting: 'awaiting translation',
  cells: 'cells out of step',
  broken: 'cannot be read',
};

/** `2 of 5 pages are not up to date: changed (outdated), only-zh (missing in one language)`, or undefined. */
export function translationSummary(contentDir: string): string | undefined {
  const statuses = allPageStatuses(contentDir);
  const bad = statuses.flatMap((status) => {
    const verdict = verdictOf(status);
    return verdict === 'ok' ? [] : [`${status.path} (${SAYS[verdict]})`];
  });
  if (bad.length === 0) return undefined;
  return `${bad.length} of ${statuses.length} pages are not up to date: ${bad.join(', ')}. Details: npm run translation-status`;
}

export function translationSummaryIntegration(contentDir: string): AstroIntegration {
  return {
    name: 'socket-workbook:translation-summary',
    hooks: {
      'astro:build:done': ({ logger }) => {
        const summary = translationSummary(contentDir);
        if (summary) logger.info(summary);
      },
    },
  };
}
