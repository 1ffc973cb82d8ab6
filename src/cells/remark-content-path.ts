/**
 * Starlight finds a page's language from its file path, assuming chapters live in
 * `src/content/docs/` (its asides' default titles, heading-anchor labels and code-block UI are
 * translated that way). Our chapters live in the top-level `content/`, so this remark plugin,
 * run first, presents each chapter's path as `src/content/docs/<locale>/...`. That folder is a
 * symlink to `content/`, so the presented path still names the same file (relative images and
 * imports keep resolving).
 */
import { join, relative, sep } from 'node:path';

export interface ContentPathOptions {
  /** Absolute path of the chapters folder. */
  contentDir: string;
  /** Absolute path of Starlight's docs folder (`<srcDir>/content/docs`). */
  docsDir: string;
}

export function remarkContentPath({ contentDir, docsDir }: ContentPathOptions) {
  return (_tree: unknown, file: { path?: string; history?: string[] }) => {
    if (!file.path) return;
    const rel = relative(contentDir, file.path);
    if (rel.startsWith('..') || rel.startsWith(sep)) return;
    file.path = join(docsDir, rel);
  };
}
