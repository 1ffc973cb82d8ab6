/**
 * What an imported article is made of, before it becomes MDX: headings, paragraphs, lists and
 * code. Text fields already hold MDX inline markup (escaped where the source was plain text),
 * so both readers (plain text, Markdown) hand the same shape to the writer.
 */
import { FENCE_LANGUAGES } from '../../../src/cells/cell-meta.ts';
import type { Language } from '../../../sandbox-runner/protocol.ts';

export type Block =
  | { kind: 'heading'; depth: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  /** `fence` is the fence language the article gave (Markdown), or null (plain text, bare fence). */
  | { kind: 'code'; fence: string | null; code: string; notes: string[] };

export interface Article {
  title: string;
  blocks: Block[];
}

/**
 * Escapes plain text for MDX: characters that would start JSX (`<`), an expression (`{`), or
 * Markdown markup, and line starts that would make a heading, list, quote or aside.
 */
export function escapeMdxText(text: string): string {
  let escaped = text
    .replace(/[\\`*{}<>[\]]/g, (c) => `\\${c}`)
    // `_` only where it could open or close emphasis (not inside names like socket_server).
    .replace(/(^|[^A-Za-z0-9])_|_(?=[^A-Za-z0-9]|$)/g, (m) => m.replace('_', '\\_'));
  escaped = escaped.replace(/^(\s*)(#|>|[-+](?=\s)|\d+(?=[.)]\s)|:::|=+$|-+$)/, (_, space: string, mark: string) => `${space}\\${mark}`);
  return escaped;
}

export interface LanguageGuess {
  /** null: an ordinary (not runnable) code block, e.g. a `bash` fence. */
  language: Language | null;
  /** The fence said so, or the signs were clear. */
  sure: boolean;
}

const PYTHON_SIGNS = [/^\s*(import|from)\s+\w+/m, /^\s*def \w+\(.*\):\s*$/m, /\bprint\s*\(/, /^\s*(if|for|while|with|try|elif|else|except)\b.*:\s*$/m, /\b(None|True|False|self)\b/, /\bprint\s+['"]/];
const JS_SIGNS = [/\b(const|let|var)\s+\w+\s*=/, /=>/, /\bconsole\.log\(/, /\brequire\(['"]/, /^\s*import .* from ['"]/m, /;\s*$/m, /\bfunction\b/];
const TS_SIGNS = [/:\s*(string|number|boolean|void)\b/, /\binterface\s+\w+\s*\{/, /\btype\s+\w+\s*=/, /\bas\s+(string|number|const)\b/];

/** The language of a code block: from its fence when it names one, else from how it looks. */
export function guessLanguage(fence: string | null, code: string): LanguageGuess {
  if (fence) {
    const known = FENCE_LANGUAGES[fence.toLowerCase()];
    return known ? { language: known, sure: true } : { language: null, sure: true };
  }
  const score = (signs: RegExp[]) => signs.filter((sign) => sign.test(code)).length;
  const python = score(PYTHON_SIGNS);
  const js = score(JS_SIGNS);
  const ts = score(TS_SIGNS);
  if (ts > 0 && js > 0) return { language: 'typescript', sure: ts >= 2 };
  if (js > python) return { language: 'javascript', sure: js - python >= 2 };
  // Python is the article's language, and the default when nothing tells.
  return { language: 'python', sure: python - js >= 2 };
}

/** Does this program look like a server (it waits for connections or datagrams)? */
export function looksLikeServer(language: Language, code: string): boolean {
  if (language === 'python') return /\.(accept|recvfrom)\s*\(|serve_forever\s*\(/.test(code) && /\b(while|for)\b/.test(code);
  return /\.listen\s*\(|createServer\s*\(|dgram\.createSocket/.test(code) && !/\.close\s*\(\s*\)/.test(code);
}

/** Does this program connect to something (a client of a server cell before it)? */
export function looksLikeClient(code: string): boolean {
  return /\.(connect|connect_ex|sendto)\s*\(|create_connection\s*\(|net\.connect\s*\(|createConnection\s*\(|urlopen\s*\(|fetch\s*\(\s*['"`]http:\/\/(127\.|localhost)/.test(code);
}

/** A cell id from a heading: ASCII words, lower case, dashes; empty when none are left. */
export function slugOf(text: string): string {
  return text
    .replace(/\\(.)/g, '$1')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}
