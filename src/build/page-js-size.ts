/**
 * Measures the JavaScript each built page ships before a reader edits a cell: the page's inline
 * scripts, its module scripts, and every chunk they import, statically or dynamically (the cell
 * client and the search UI load on their own), except the editor (Monaco, its worker and its
 * language chunks), which loads only when a reader edits. Each file is counted gzipped (level 9),
 * once per page, the way it travels.
 *
 * Used by the bench (`measurePageJs('dist')`) and by the end-to-end budget test.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface PageJsSize {
  /** Route of the page, e.g. `/en/overview/`. */
  page: string;
  /** Gzipped bytes of all JavaScript the page loads before editing. */
  gzipBytes: number;
  /** Uncompressed bytes of the same. */
  rawBytes: number;
  /** The files counted (`_astro/...`, or `inline#n`). */
  files: string[];
}

export interface MeasureOptions {
  /** Chunks that load only when a reader edits (and what only they import). */
  lazy?: RegExp;
  /** Pages to skip (default: the language chooser `/` and 404). */
  skip?: RegExp;
}

/** The page-level JS budget of a chapter, gzipped (issue: ≤ 60 KB before the reader edits). */
export const PAGE_JS_BUDGET_BYTES = 60 * 1024;

const DEFAULT_LAZY = /^editor[.-]|^(python|javascript|typescript)\.[\w-]+\.js$/;

async function htmlFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '_astro' && entry.name !== 'pagefind') found.push(...(await htmlFiles(path)));
    } else if (entry.name.endsWith('.html')) {
      found.push(path);
    }
  }
  return found;
}

const gz = (bytes: Buffer | string) => gzipSync(bytes, { level: 9 }).length;

/** Measures every HTML page under `distDir`, sorted by route. */
export async function measurePageJs(distDir: string, options: MeasureOptions = {}): Promise<PageJsSize[]> {
  const lazy = options.lazy ?? DEFAULT_LAZY;
  const skip = options.skip ?? /^\/(404\.html)?$/;
  const assetsDir = join(distDir, '_astro');
  const chunkCache = new Map<string, { bytes: Buffer; refs: string[] }>();

  const chunk = async (name: string) => {
    let cached = chunkCache.get(name);
    if (!cached) {
      const bytes = await readFile(join(assetsDir, name));
      const refs = [...new Set([...bytes.toString('utf8').matchAll(/[\w.-]+\.js(?=["'`])/g)].map((m) => m[0].replace(/^\.\//, '')))];
      cached = { bytes, refs: refs.filter((ref) => ref !== name && existsSync(join(assetsDir, ref))) };
      chunkCache.set(name, cached);
    }
    return cached;
  };

  const results: PageJsSize[] = [];
  for (const file of await htmlFiles(distDir)) {
    const rel = relative(distDir, file).split(sep).join('/');
    const page = '/' + rel.replace(/index\.html$/, '');
    if (skip.test(page)) continue;
    const html = await readFile(file, 'utf8');
    let gzipBytes = 0;
    let rawBytes = 0;
    const files: string[] = [];
    const queue: string[] = [];
    let inline = 0;
    for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      const [, attrs, body] = match;
      if (/type="(application\/(ld\+)?json|text\/plain)"/.test(attrs)) continue;
      const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
      if (src) {
        if (src.startsWith('/_astro/')) queue.push(src.slice('/_astro/'.length));
      } else if (body.trim()) {
        gzipBytes += gz(body);
        rawBytes += Buffer.byteLength(body);
        files.push(`inline#${inline++}`);
        // Inline module scripts may import chunks too.
        for (const ref of body.matchAll(/_astro\/([\w.-]+\.js)/g)) queue.push(ref[1]);
      }
    }
    const seen = new Set<string>();
    while (queue.length) {
      const name = queue.shift()!;
      if (seen.has(name) || lazy.test(name) || !existsSync(join(assetsDir, name))) continue;
      seen.add(name);
      const { bytes, refs } = await chunk(name);
      gzipBytes += gz(bytes);
      rawBytes += bytes.length;
      files.push(`_astro/${name}`);
      queue.push(...refs);
    }
    results.push({ page, gzipBytes, rawBytes, files });
  }
  return results.sort((a, b) => a.page.localeCompare(b.page));
}

/** What the first edit of a Python cell downloads: Monaco, its worker, its icon font, the tokenizer. */
const EDITOR_FIRST_LOAD = /^(editor[.-][\w.-]*\.js|codicon\.[\w-]+\.ttf|python\.[\w-]+\.js)$/;

export interface EditorLoadSize {
  files: string[];
  /** On disk, uncompressed. */
  rawBytes: number;
  /** As sent to a browser that accepts brotli (the build's `.br` twins; the plain file where none). */
  brotliBytes: number;
}

/** Sizes of the editor's first load in a build (see src/integrations/precompress.ts). */
export async function measureEditorLoad(distDir: string): Promise<EditorLoadSize> {
  const assetsDir = join(distDir, '_astro');
  const files = (await readdir(assetsDir)).filter((name) => EDITOR_FIRST_LOAD.test(name)).sort();
  let rawBytes = 0;
  let brotliBytes = 0;
  for (const name of files) {
    const raw = (await stat(join(assetsDir, name))).size;
    rawBytes += raw;
    brotliBytes += await stat(join(assetsDir, `${name}.br`)).then((s) => s.size, () => raw);
  }
  return { files, rawBytes, brotliBytes };
}
