/**
 * The authoring syntax of runnable cells, shared by the remark plugin that builds the pages and
 * by the content check that runs every published cell. See docs/authoring.md.
 *
 * A fenced code block becomes a cell when its meta string contains the word `run`:
 *
 *     ```python run id=tcp-server group=tcp-server server
 *     ```js run id=tcp-client-js group=tcp-client needs=tcp-server-js stdin="hello\nexit\n"
 *
 * An `output` block right after a cell holds its expected output (stdout and stderr as they
 * arrive); `{{anything}}` in it matches any text within one line (ports, addresses, timings).
 */
import { z } from 'zod';
import type { Language } from '../../sandbox-runner/protocol.ts';

/** Fence languages an author may write, mapped to runner languages. */
export const FENCE_LANGUAGES: Record<string, Language> = {
  python: 'python',
  py: 'python',
  python3: 'python',
  javascript: 'javascript',
  js: 'javascript',
  mjs: 'javascript',
  node: 'javascript',
  typescript: 'typescript',
  ts: 'typescript',
};

/** A relative file name the runner accepts (`files` of POST /api/run): no `..`, no leading `/`. */
const FILE_NAME = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

export const cellMetaSchema = z.object({
  /** Unique within a page; used for `needs=` and in content-check reports. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'id must be lower-case letters, digits and dashes, like id=tcp-server'),
  language: z.enum(['python', 'javascript', 'typescript']),
  /** Cells with the same group on one page show as tabs (Python | Node.js) of one cell. */
  group: z.string().optional(),
  /** A long-running server: longer timeout; the content check runs it in the background. */
  server: z.boolean().default(false),
  /** Id of a server cell that must be running before this cell runs. */
  needs: z.string().optional(),
  /** Input given to the program (escapes `\n`, `\t`, `\\`, `\"` allowed in the meta string). */
  stdin: z.string().optional(),
  /** Wall-time limit in milliseconds (servers default to 120000). */
  timeoutMs: z.number().int().positive().optional(),
  /** Port of an HTTP server this cell starts, shown in a preview pane through the runner. */
  previewPort: z.number().int().min(1).max(65535).optional(),
  /** Expected exit code (default 0; servers are stopped and not checked). */
  exitCode: z.number().int().default(0),
  /** Command-line arguments, as a tutorial starts the program (`args="127.0.0.1 65432"`). */
  args: z.array(z.string().min(1)).max(64).optional(),
  /** Names of file blocks on the same page (`file=<name>` fences) written to the working directory first. */
  files: z.array(z.string().regex(FILE_NAME, 'each file name must be a plain relative name like libserver.py')).max(32).optional(),
  /** Id of a graded exercise (`content/exercises/<id>/`): the cell gets a Check button. */
  exercise: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'exercise must be lower-case letters, digits and dashes').optional(),
});
export type CellMeta = z.infer<typeof cellMetaSchema>;

/** Splits a meta string into words and `key=value` / `key="quoted value"` pairs. */
export function tokenizeMeta(meta: string): Map<string, string | true> {
  const tokens = new Map<string, string | true>();
  const pattern = /([A-Za-z][\w-]*)(?:=(?:"((?:[^"\\]|\\.)*)"|(\S+)))?/g;
  for (const match of meta.matchAll(pattern)) {
    const [, key, quoted, bare] = match;
    if (quoted !== undefined) tokens.set(key, unescape(quoted));
    else if (bare !== undefined) tokens.set(key, bare);
    else tokens.set(key, true);
  }
  return tokens;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
}

/** The words a runnable fence's meta string may hold (`run` and the options after it). */
export const CELL_OPTIONS = ['run', 'id', 'group', 'server', 'needs', 'stdin', 'timeout', 'preview', 'exit', 'args', 'files', 'exercise'];

/**
 * Parses a fence's language and meta string. Returns null for ordinary (non-runnable) blocks;
 * throws an Error naming the problem for a runnable block with bad metadata.
 */
export function parseCellMeta(fenceLang: string | null | undefined, meta: string | null | undefined, fallbackId: string): CellMeta | null {
  const tokens = tokenizeMeta(meta ?? '');
  if (tokens.get('run') !== true) return null;
  const idToken = tokens.get('id');
  const name = typeof idToken === 'string' ? idToken : fallbackId;
  const language = FENCE_LANGUAGES[(fenceLang ?? '').toLowerCase()];
  if (!language) {
    throw new Error(`Runnable cell "${name}": language "${fenceLang}" is not runnable; use one of ${Object.keys(FENCE_LANGUAGES).join(', ')}.`);
  }
  const unknown = [...tokens.keys()].filter((key) => !CELL_OPTIONS.includes(key));
  if (unknown.length) {
    throw new Error(
      `Runnable cell "${name}": unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; ` +
        `the options are ${CELL_OPTIONS.filter((k) => k !== 'run').join(', ')} (see docs/authoring.md, "Options").`,
    );
  }
  const text = (key: string) => {
    const value = tokens.get(key);
    return typeof value === 'string' ? value : undefined;
  };
  const number = (key: string) => (text(key) === undefined ? undefined : Number(text(key)));
  const parsed = cellMetaSchema.safeParse({
    id: text('id') ?? fallbackId,
    language,
    group: text('group'),
    server: tokens.get('server') === true,
    needs: text('needs'),
    stdin: text('stdin'),
    timeoutMs: number('timeout'),
    previewPort: number('preview'),
    exitCode: number('exit'),
    args: text('args')?.split(/\s+/).filter(Boolean),
    files: text('files')?.split(',').map((name) => name.trim()).filter(Boolean),
    exercise: text('exercise'),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Runnable cell "${text('id') ?? fallbackId}" has bad metadata: ${problems}`);
  }
  return parsed.data;
}

/**
 * The name of a file block: a fenced block (not runnable) with `file=<name>` in its meta, whose
 * text a cell's `files=<name>` writes to the working directory before the program starts.
 * Returns null for any other block; throws for a runnable block that also says `file=`.
 */
export function parseFileBlockName(meta: string | null | undefined): string | null {
  const tokens = tokenizeMeta(meta ?? '');
  const name = tokens.get('file');
  if (name === undefined) return null;
  if (tokens.get('run') === true) throw new Error('A fence cannot be both a runnable cell (`run`) and a file block (`file=`): make the module its own block, and list it in the cell\'s files=.');
  if (typeof name !== 'string' || !FILE_NAME.test(name)) throw new Error(`File block name ${JSON.stringify(name)} is not a plain relative name like file=libserver.py.`);
  return name;
}

/** Default wall time the site and the content check give a server cell. */
export const SERVER_TIMEOUT_MS = 120_000;

function normalizeOutput(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/** Builds the matcher for an expected-output block: exact text with `{{...}}` wildcards. */
export function expectedOutputPattern(expected: string): RegExp {
  const parts = normalizeOutput(expected).split(/\{\{[^}]*\}\}/);
  const body = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\n]*?');
  return new RegExp(`^${body}$`);
}

/** True when the actual output matches the expected-output block. */
export function outputMatches(expected: string, actual: string): boolean {
  return expectedOutputPattern(expected).test(normalizeOutput(actual));
}
