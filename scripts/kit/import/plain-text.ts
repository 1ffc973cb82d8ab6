/**
 * Reads a plain-text article (as copied from a web page: one paragraph per line, no markup, no
 * code fences) into blocks. Its structure has to be guessed from the shape of each line:
 * - the first line is the title;
 * - `一、概述`-style lines are sections (`##`); short lines without closing punctuation are
 *   headings (`###` once a section exists); an API signature alone on its line
 *   (`sk.recv(bufsize[,flag])`) heads the prose about it;
 * - lines starting with `-`, `*`, `•`, `1.` or `1、` are list items;
 * - code is what is indented by a tab or four spaces, or a run of lines that read as code
 *   (keywords, assignments, calls, no Chinese outside strings and comments). Every such block
 *   carries a note, since plain text gives no certainty about where code starts and ends.
 */
import { escapeMdxText, type Article, type Block } from './blocks.ts';

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;
const SECTION = /^[一二三四五六七八九十百]+、\s*\S/;
const LIST_ITEM = /^\s*(?:[-*•·]|\d+[.、)])\s+(.*)$|^\s*(?:\d+、)(.*)$/;
const CLOSING_PUNCTUATION = /[。！？；，、,.!?;:：]$/;
const SIGNATURE = /^[A-Za-z_][\w.]*\([\w\s,.=[\]]*\)$/;
const CODE_START = /^\s*(import|from|def|class|if|elif|else|for|while|try|except|finally|with|return|print|const|let|var|function|async|await|console\.log)\b/;
const ASSIGNMENT = /^\s*[A-Za-z_][\w.[\]'",\s]*\s*(=|\+=|-=)\s*\S/;
const CALL = /^\s*[A-Za-z_][\w.]*\(.*\)\s*;?\s*$/;
const BRACE_LINE = /^\s*[})\]]+[;,)]*\s*$|[{:;]\s*$/;

export const PLAIN_TEXT_CODE_NOTE =
  '纯文本没有代码围栏：这段代码是按行的形状识别的，请核对它从哪里开始、到哪里结束。 / Plain text has no code fences: this block was recognised by the shape of its lines; check where it starts and ends.';

/** A line's text without string literals and trailing comments, to see whether Chinese is prose. */
function withoutStringsAndComments(line: string): string {
  return line
    .replace(/(['"])(?:\\.|(?!\1).)*\1/g, '""')
    .replace(/\s#.*$|^\s*#.*$/, '')
    .replace(/\/\/.*$/, '');
}

function readsAsCode(line: string): boolean {
  if (!line.trim()) return false;
  if (CJK.test(withoutStringsAndComments(line))) return false;
  if (/^\s*#/.test(line)) return true;
  if (SIGNATURE.test(line.trim())) return false;
  return CODE_START.test(line) || ASSIGNMENT.test(line) || CALL.test(line) || BRACE_LINE.test(line);
}

const isIndented = (line: string) => /^(\t| {4})/.test(line) && line.trim() !== '';

function dedent(lines: string[]): string {
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].replace(/\t/g, '    ').length);
  const cut = Math.min(...indents);
  return lines.map((l) => l.replace(/\t/g, '    ').slice(cut)).join('\n').replace(/\n+$/, '');
}

function isHeadingLine(line: string, next: string | undefined): boolean {
  const text = line.trim();
  if (SECTION.test(text)) return true;
  if (SIGNATURE.test(text)) return next !== undefined && next.trim() !== '' && CJK.test(next);
  return text.length <= 24 && !CLOSING_PUNCTUATION.test(text) && !LIST_ITEM.test(text) && next !== undefined;
}

export function readPlainText(source: string, fallbackTitle: string): Article {
  const lines = source.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\s+$/, ''));
  let i = 0;
  while (i < lines.length && !lines[i].trim()) i++;
  const title = i < lines.length ? lines[i++].trim() : fallbackTitle;
  const blocks: Block[] = [];
  let sectionSeen = false;
  const nextNonBlank = (from: number) => lines.slice(from).find((l) => l.trim() !== '');

  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    // Indented code (blank lines inside it are kept when more indented lines follow).
    if (isIndented(line)) {
      const code: string[] = [];
      while (i < lines.length && (isIndented(lines[i]) || (!lines[i].trim() && isIndented(nextNonBlank(i) ?? '')))) code.push(lines[i++]);
      blocks.push({ kind: 'code', fence: null, code: dedent(code), notes: [PLAIN_TEXT_CODE_NOTE] });
      continue;
    }
    if (readsAsCode(line)) {
      const code: string[] = [];
      // Right after code, a call without arguments (`sk.close()`) is code too; one naming its
      // parameters (`sk.bind(address)`) is the next API's heading, as in the seed article,
      // unless more code follows it (`a.shutdown(socket.SHUT_WR)` in the middle of a program).
      const continuesCode = (j: number): boolean =>
        j < lines.length && (readsAsCode(lines[j]) || isIndented(lines[j]) || (SIGNATURE.test(lines[j].trim()) && continuesCode(j + 1)));
      while (i < lines.length && (readsAsCode(lines[i]) || isIndented(lines[i]) || /^[A-Za-z_][\w.]*\(\)$/.test(lines[i].trim()) || continuesCode(i))) code.push(lines[i++]);
      blocks.push({ kind: 'code', fence: null, code: dedent(code), notes: [PLAIN_TEXT_CODE_NOTE] });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const items: string[] = [];
      const ordered = /^\s*\d/.test(line);
      let match: RegExpExecArray | null;
      while (i < lines.length && (match = LIST_ITEM.exec(lines[i]))) {
        items.push(escapeMdxText((match[1] ?? match[2] ?? '').trim()));
        i++;
      }
      blocks.push({ kind: 'list', ordered, items });
      continue;
    }
    const previous = blocks.at(-1);
    const afterSignature = previous?.kind === 'heading' && SIGNATURE.test(previous.text.replace(/\\(.)/g, '$1'));
    if (!afterSignature && isHeadingLine(line, nextNonBlank(i + 1))) {
      const section = SECTION.test(line.trim());
      blocks.push({ kind: 'heading', depth: section || !sectionSeen ? 2 : 3, text: escapeMdxText(line.trim()) });
      if (section) sectionSeen = true;
      i++;
      continue;
    }
    blocks.push({ kind: 'paragraph', text: escapeMdxText(line.trim()) });
    i++;
  }
  return { title, blocks };
}
