/**
 * `npm run translation-status [-- --check] [--content <dir>] [--mark en/<path> [--unit N] [--force]]`
 *
 * Per page: whether zh and en exist, whether en translates the current zh text (see
 * scripts/kit/page.ts for the markers), and cells out of step. `--check` exits 1 when any page
 * is not up to date. `--mark en/<path>` records that en/<path> now translates the current zh
 * text (all of it, or unit N).
 */
import { parseArgs } from 'node:util';
import { KitError, normalizePagePath, resolveContentDir, runMain, TARGET_LOCALE } from './kit/content.ts';
import { allPageStatuses, formatStatus, markTranslated, verdictOf } from './kit/status.ts';

const USAGE = 'usage: npm run translation-status -- [--check] [--content <dir>] [--mark en/<path> [--unit N] [--force]]';

await runMain(async () => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        check: { type: 'boolean', default: false },
        content: { type: 'string' },
        mark: { type: 'string' },
        unit: { type: 'string' },
        force: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new KitError(`${(error as Error).message}\n${USAGE}`);
  }
  const contentDir = resolveContentDir(values.content);
  if (values.mark !== undefined) {
    const [locale, ...rest] = values.mark.replace(/\\/g, '/').replace(/^\/+/, '').split('/');
    if (locale !== TARGET_LOCALE || rest.length === 0) throw new KitError(`--mark takes an en page, like en/methods/shutdown (got "${values.mark}").`);
    const path = normalizePagePath(rest.join('/'));
    const unit = values.unit === undefined ? undefined : Number(values.unit);
    if (unit !== undefined && !(Number.isInteger(unit) && unit > 0)) throw new KitError(`--unit takes a unit number as the status prints it (got "${values.unit}").`);
    const done = markTranslated(contentDir, path, { unit, force: values.force });
    console.log(`en/${path}: marked ${done.length} unit${done.length === 1 ? '' : 's'} as translating the current zh text.`);
    return 0;
  }
  if (values.unit !== undefined || values.force) throw new KitError(`--unit and --force go with --mark.\n${USAGE}`);
  const statuses = allPageStatuses(contentDir);
  console.log(formatStatus(statuses, contentDir));
  return values.check && statuses.some((status) => verdictOf(status) !== 'ok') ? 1 : 0;
});
