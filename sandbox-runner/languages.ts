/**
 * Language definitions: plain data. Each variant names the file the code is written to inside
 * the sandbox (under /cell/<run>/) and the interpreter that runs it. Interpreter paths are sandbox paths:
 * the sandbox builder binds the host's interpreters there.
 */
import type { Language } from './protocol.ts';

/** Where runs' directories (code and stdio FIFOs) live inside the sandbox: `/cell/<run>/`. */
export const CELL_DIR = '/cell';
/** The reader's session directory inside the sandbox (working directory and HOME). */
export const SESSION_DIR = '/home/reader';
/** Where the Node.js binary is bound inside the sandbox. */
export const SANDBOX_NODE = '/usr/local/bin/node';
export const SANDBOX_PYTHON = '/usr/bin/python3';

export interface LanguageVariant {
  /** Name sent to the sandbox's launcher: letters and dashes only. */
  name: string;
  /** The code's file name in its run directory (`/cell/<run>/<fileName>`). */
  fileName: string;
  /** The interpreter and its flags; the code file is appended. */
  argv: readonly string[];
}

/**
 * A module Node preloads for cells that import by relative name: the cell's file lives in
 * /cell/<run>/, but `import './greet.mjs'` and `require('./greet')` mean the working directory,
 * where `files` and earlier runs put modules (the hook is bound here by the sandbox builder).
 */
export const SANDBOX_NODE_HOOKS = '/usr/local/libexec/cell-hooks.mjs';
export const NODE_HOOKS_SOURCE = `import { registerHooks } from 'node:module';
import { join } from 'node:path';
registerHooks({
  resolve(specifier, context, next) {
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && context.parentURL?.startsWith('file://${CELL_DIR}/')) {
      return next(join(process.cwd(), specifier), context);
    }
    return next(specifier, context);
  },
});
`;

const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
const TS_FLAGS = [...NODE_FLAGS, '--experimental-transform-types'];
const LOCAL = `--import=${SANDBOX_NODE_HOOKS}`;

export const VARIANTS = {
  python: { name: 'python', fileName: 'main.py', argv: [SANDBOX_PYTHON] },
  'javascript-esm': { name: 'javascript-esm', fileName: 'main.mjs', argv: [SANDBOX_NODE, ...NODE_FLAGS] },
  'javascript-cjs': { name: 'javascript-cjs', fileName: 'main.cjs', argv: [SANDBOX_NODE, ...NODE_FLAGS] },
  'typescript-esm': { name: 'typescript-esm', fileName: 'main.mts', argv: [SANDBOX_NODE, ...TS_FLAGS] },
  'typescript-cjs': { name: 'typescript-cjs', fileName: 'main.cts', argv: [SANDBOX_NODE, ...TS_FLAGS] },
  // The same, for code that imports or requires by relative name (a preloaded hook, ~1 ms).
  'javascript-esm-local': { name: 'javascript-esm-local', fileName: 'main.mjs', argv: [SANDBOX_NODE, ...NODE_FLAGS, LOCAL] },
  'javascript-cjs-local': { name: 'javascript-cjs-local', fileName: 'main.cjs', argv: [SANDBOX_NODE, ...NODE_FLAGS, LOCAL] },
  'typescript-esm-local': { name: 'typescript-esm-local', fileName: 'main.mts', argv: [SANDBOX_NODE, ...TS_FLAGS, LOCAL] },
  'typescript-cjs-local': { name: 'typescript-cjs-local', fileName: 'main.cts', argv: [SANDBOX_NODE, ...TS_FLAGS, LOCAL] },
} as const satisfies Record<string, LanguageVariant>;

const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s*)['"`]\.\.?\//m;

/** Environment of every program in the sandbox (the runner's own environment never gets in). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: SESSION_DIR,
  USER: 'reader',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  // Output streams to the reader as it is printed, without flush() everywhere.
  PYTHONUNBUFFERED: '1',
  // `import greet` finds modules in the working directory (the cell itself is in /cell/<run>/).
  PYTHONPATH: SESSION_DIR,
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONIOENCODING: 'utf-8',
  NODE_DISABLE_COLORS: '1',
  TERM: 'dumb',
};

const IMPORT_OR_EXPORT = /^\s*(import\s*[\w{*'"]|export\s)|\bimport\s*\(|\bimport\.meta\b|\bawait\b/m;
const REQUIRE = /\brequire\s*\(/;

/**
 * Picks how a cell runs: JavaScript and TypeScript run as ES modules, except code that uses
 * `require` and no `import`/`export`, which runs as CommonJS, as a reader would expect.
 */
export function variantFor(language: Language, code: string): LanguageVariant {
  if (language === 'python') return VARIANTS.python;
  const commonJs = REQUIRE.test(code) && !IMPORT_OR_EXPORT.test(code);
  const local = RELATIVE_IMPORT.test(code) ? '-local' : '';
  const name = `${language}-${commonJs ? 'cjs' : 'esm'}${local}` as keyof typeof VARIANTS;
  return VARIANTS[name];
}
