/**
 * `npm run import -- <file> --into <path> [--content <dir>] [--force] [--runner <url>]`
 *
 * Turns a Chinese article (plain text or Markdown) into `content/zh/<path>.mdx`, keeping its
 * headings, lists and paragraphs and making its code blocks cells, and an en twin
 * `content/en/<path>.mdx` awaiting translation (same structure and cell ids). Every cell is run
 * once through the real runner and what it printed is written down as its expected output,
 * marked for review, so the content check passes right after the import. Nothing is fetched.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { displayPath, KitError, normalizePagePath, pageFile, resolveContentDir, runMain, SOURCE_LOCALE, TARGET_LOCALE } from './kit/content.ts';
import { awaitingTwin } from './kit/en-twin.ts';
import { readMarkdown } from './kit/import/markdown.ts';
import { readPlainText } from './kit/import/plain-text.ts';
import { renderChapter } from './kit/import/render.ts';
import { pageOf, sidebarOrder } from './kit/page.ts';
import { generalizeOutput, openRunner, runPageCells } from './kit/run-cells.ts';
import { checkWritable, missingGroupFiles, nextSidebarOrder, writePage } from './kit/write-pages.ts';

const USAGE = 'usage: npm run import -- <article.txt|article.md> --into <path, e.g. methods/shutdown> [--content <dir>] [--force] [--runner <url>]';

await runMain(async () => {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        into: { type: 'string' },
        content: { type: 'string' },
        force: { type: 'boolean', default: false },
        runner: { type: 'string' },
      },
    });
  } catch (error) {
    throw new KitError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new KitError(`give exactly one article file (got ${positionals.length}).\n${USAGE}`);
  if (!values.into) throw new KitError(`--into <path> is missing: where the page goes, relative to the locale folders (e.g. methods/shutdown).\n${USAGE}`);
  const article = positionals[0];
  if (!existsSync(article)) throw new KitError(`The article ${article} does not exist; give the path of a .txt or .md file.`);
  if (!statSync(article).isFile()) throw new KitError(`${article} is not a file; give the path of a .txt or .md file.`);
  const contentDir = resolveContentDir(values.content);
  const path = normalizePagePath(values.into);
  const zhFile = pageFile(contentDir, SOURCE_LOCALE, path);
  const enFile = pageFile(contentDir, TARGET_LOCALE, path);
  checkWritable([zhFile, enFile], values.force);

  const text = readFileSync(article, 'utf8');
  if (text.includes('\u0000')) throw new KitError(`${article} is not a text file.`);
  const isMarkdown = ['.md', '.markdown', '.mdx'].includes(extname(article).toLowerCase());
  const fallbackTitle = basename(article, extname(article));
  const parsedArticle = isMarkdown ? readMarkdown(text, fallbackTitle) : readPlainText(text, fallbackTitle);
  // Re-importing over a page (--force) keeps its place in the sidebar.
  const existingOrder = existsSync(zhFile) ? sidebarOrder(pageOf(zhFile, readFileSync(zhFile, 'utf8')).frontmatter) : undefined;
  const renderOptions = { sourceName: basename(article), sidebarOrder: existingOrder ?? nextSidebarOrder(contentDir, path) };

  // Render once to find the cells exactly as the content check will read them, run them, then
  // render again with what they printed.
  const draft = renderChapter(parsedArticle, renderOptions);
  const draftPage = pageOf(zhFile, draft.mdx);
  if (draftPage.cellError) throw new Error(`the import produced a bad cell (a bug in the import): ${draftPage.cellError}`);
  const results = new Map<string, { output: string; exitCode: number; notes: string[] }>();
  if (draftPage.cells.length > 0) {
    console.log(`Running ${draftPage.cells.length} cell${draftPage.cells.length > 1 ? 's' : ''} through the runner…`);
    const runner = await openRunner(values.runner ?? process.env.CONTENT_CHECK_RUNNER_URL);
    try {
      for (const result of await runPageCells(runner.url, draftPage.cells)) {
        const exitCode = result.exit.reason === 'exit' && result.exit.code !== null ? result.exit.code : 0;
        results.set(result.id, { output: generalizeOutput(result.output), exitCode, notes: result.notes });
        console.log(`  ${result.id}: ${result.exit.reason}${result.exit.code !== null ? ` ${result.exit.code}` : ''}${result.notes.length ? ' (see its notes)' : ''}`);
      }
    } finally {
      await runner.close();
    }
  }
  const zh = renderChapter(parsedArticle, { ...renderOptions, results }).mdx;
  const en = awaitingTwin(zhFile, zh);
  // Both must read back as the site reads them, with the same cells.
  const zhPage = pageOf(zhFile, zh);
  const enPage = pageOf(enFile, en);
  if (zhPage.cellError || enPage.cellError) throw new Error(`the import produced a bad page (a bug in the import): ${zhPage.cellError ?? enPage.cellError}`);
  writePage(zhFile, zh);
  writePage(enFile, en);
  for (const [file, text] of missingGroupFiles(contentDir, [SOURCE_LOCALE, TARGET_LOCALE], path)) {
    writePage(file, text);
    console.log(`Wrote ${displayPath(file)}: the folder's sidebar group; translate its label.`);
  }
  const units = zhPage.units.length;
  console.log(
    [
      `Wrote ${displayPath(zhFile)} (${units} units, ${zhPage.cells.length} cells) and ${displayPath(enFile)} (awaiting translation).`,
      `Next: review the {/* import: */} and {/* review: */} notes, translate ${displayPath(enFile)}, then`,
      `  npm run translation-status -- --mark en/${path}`,
    ].join('\n'),
  );
  return 0;
});
