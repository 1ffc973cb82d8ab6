/**
 * Serves the built site (dist/) like a production host: the precompressed twins the build wrote
 * (`.br`, `.gz`; see src/integrations/precompress.ts) with their Content-Encoding when the browser
 * accepts them, long immutable caching for Vite's hashed assets under /_astro/ (a new build gives
 * them new names), and revalidation (ETag) for everything else, so a new build shows at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';

export type StaticHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Hashed build assets: their name changes whenever their content does. */
const HASHED_ASSETS = '/_astro/';
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const REVALIDATE_CACHE = 'no-cache';

export function staticSite(dir: string): StaticHandler {
  return sirv(dir, {
    dev: false,
    etag: true,
    extensions: ['html'],
    brotli: true,
    gzip: true,
    setHeaders(res, pathname) {
      res.setHeader('Cache-Control', pathname.startsWith(HASHED_ASSETS) ? IMMUTABLE_CACHE : REVALIDATE_CACHE);
    },
  });
}
