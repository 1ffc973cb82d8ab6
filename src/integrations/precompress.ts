/**
 * Writes a brotli (`.br`) and a gzip (`.gz`) twin of every text asset in the build, so the server
 * (sandbox-runner/static-site.ts) sends compressed bytes without compressing per request. Runs
 * after the other integrations' `astro:build:done` (place it last): Pagefind's files are written
 * there too.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { AstroIntegration } from 'astro';

/** Text formats worth compressing (Pagefind's index fragments are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.xml', '.txt', '.map', '.ttf', '.wasm']);
/**
 * Brotli's best quality is ~15x slower than quality 9 for ~10% fewer bytes: worth it for the many
 * small files, not for the editor's megabytes (10 s of build time on two cores for 60 KB).
 */
const BEST_QUALITY_UP_TO_BYTES = 1024 * 1024;
const LARGE_FILE_QUALITY = 9;
/** Below this a compressed twin saves less than its headers cost. */
const MIN_BYTES = 1024;

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/** Compresses the files of `dir`; returns how many files got twins and the bytes before/after (brotli). */
export function precompressDir(dir: string): { files: number; bytes: number; brotliBytes: number } {
  let files = 0;
  let bytes = 0;
  let brotliBytes = 0;
  for (const path of filesUnder(dir)) {
    if (!COMPRESSIBLE.has(extname(path)) || statSync(path).size < MIN_BYTES) continue;
    const data = readFileSync(path);
    const brotli = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: data.length <= BEST_QUALITY_UP_TO_BYTES ? constants.BROTLI_MAX_QUALITY : LARGE_FILE_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    const gzip = gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
    // A twin that is not smaller would only cost the reader bytes.
    if (brotli.length < data.length) writeFileSync(`${path}.br`, brotli);
    if (gzip.length < data.length) writeFileSync(`${path}.gz`, gzip);
    files += 1;
    bytes += data.length;
    brotliBytes += Math.min(brotli.length, data.length);
  }
  return { files, bytes, brotliBytes };
}

export function precompressIntegration(): AstroIntegration {
  return {
    name: 'socket-workbook:precompress',
    hooks: {
      'astro:build:done': ({ dir, logger }) => {
        const started = performance.now();
        const { files, bytes, brotliBytes } = precompressDir(fileURLToPath(dir));
        const kb = (n: number) => `${Math.round(n / 1024)} KB`;
        logger.info(`${files} files precompressed (${kb(bytes)} → ${kb(brotliBytes)} brotli) in ${Math.round(performance.now() - started)} ms`);
      },
    },
  };
}
