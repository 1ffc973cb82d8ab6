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

const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
const TS_FLAGS = [...NODE_FLAGS, '--experimental-transform-types'];

export const VARIANTS = {
  python: { name: 'python', fileName: 'main.py', argv: [SANDBOX_PYTHON] },
  'javascript-esm': { name: 'javascript-esm', fileName: 'main.mjs', argv: [SANDBOX_NODE, ...NODE_FLAGS] },
  'javascript-cjs': { name: 'javascript-cjs', fileName: 'main.cjs', argv: [SANDBOX_NODE, ...NODE_FLAGS] },
  'typescript-esm': { name: 'typescript-esm', fileName: 'main.mts', argv: [SANDBOX_NODE, ...TS_FLAGS] },
  'typescript-cjs': { name: 'typescript-cjs', fileName: 'main.cts', argv: [SANDBOX_NODE, ...TS_FLAGS] },
} as const satisfies Record<string, LanguageVariant>;

/** Environment of every program in the sandbox (the runner's own environment never gets in). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: SESSION_DIR,
  USER: 'reader',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  // Output streams to the reader as it is printed, without flush() everywhere.
  PYTHONUNBUFFERED: '1',
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
  if (language === 'javascript') return commonJs ? VARIANTS['javascript-cjs'] : VARIANTS['javascript-esm'];
  return commonJs ? VARIANTS['typescript-cjs'] : VARIANTS['typescript-esm'];
}
