/**
 * `npm run new-page -- <path> [--content <dir>] [--title <zh title>] [--force]`
 *
 * Creates `content/zh/<path>.mdx` and `content/en/<path>.mdx`: frontmatter (title, description,
 * `sidebar.order` after the last page of that folder), one sample cell and its expected output.
 * The en page records that it translates this zh text, so the new pair starts up to date.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { displayPath, KitError, normalizePagePath, pageFile, resolveContentDir, runMain, SOURCE_LOCALE, TARGET_LOCALE } from './kit/content.ts';
import { scaffoldPages } from './kit/scaffold.ts';
import { checkWritable, missingGroupFiles, nextSidebarOrder, writePage } from './kit/write-pages.ts';

const USAGE = 'usage: npm run new-page -- <path, e.g. methods/shutdown> [--title <zh title>] [--content <dir>] [--force]';

await runMain(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { content: { type: 'string' }, title: { type: 'string' }, force: { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new KitError(`${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.positionals.length !== 1) throw new KitError(`give exactly one page path (got ${parsed.positionals.length}).\n${USAGE}`);
  const contentDir = resolveContentDir(parsed.values.content);
  const path = normalizePagePath(parsed.positionals[0]);
  const zhFile = pageFile(contentDir, SOURCE_LOCALE, path);
  const enFile = pageFile(contentDir, TARGET_LOCALE, path);
  checkWritable([zhFile, enFile], parsed.values.force);
  const order = nextSidebarOrder(contentDir, path);
  const pages = scaffoldPages({ slug: basename(path), title: parsed.values.title, order, zhFile });
  writePage(zhFile, pages.zh);
  writePage(enFile, pages.en);
  for (const [file, text] of missingGroupFiles(contentDir, [SOURCE_LOCALE, TARGET_LOCALE], path)) {
    writePage(file, text);
    console.log(`Wrote ${displayPath(file)}: the folder's sidebar group; translate its label.`);
  }
  console.log(`Wrote ${displayPath(zhFile)} and ${displayPath(enFile)} (sidebar order ${order}).`);
  console.log(`Preview: npm run dev, then /${SOURCE_LOCALE}/${path}/ and /${TARGET_LOCALE}/${path}/`);
  return 0;
});
