/**
 * Writes an imported article as a zh chapter: frontmatter, its blocks, and each code block as a
 * cell (`run`, an id, the language guessed, `server` / `needs=` / `stdin=` where the code calls
 * for them), with notes as MDX comments where the import was not sure. Expected outputs are
 * filled in after the cells ran (see run-cells.ts).
 */
import type { Language } from '../../../sandbox-runner/protocol.ts';
import { readsStdin } from '../../../src/cells/heuristics.ts';
import { guessLanguage, looksLikeClient, looksLikeServer, slugOf, type Article } from './blocks.ts';

export interface PlannedCell {
  id: string;
  language: Language;
  server: boolean;
  needs?: string;
  stdin?: string;
  exitCode: number;
  notes: string[];
  /** Filled in by the run. */
  output?: string;
}

export interface RenderOptions {
  /** Shown in the import note at the top. */
  sourceName: string;
  sidebarOrder: number;
  /** Expected outputs and exit codes by cell id (after the run). */
  results?: Map<string, { output: string; exitCode: number; notes: string[] }>;
}

const comment = (text: string) => `{/* ${text.replace(/\*\//g, '* /').replace(/\s*\n\s*/g, ' ')} */}`;

/** A fence longer than any backtick run in the text. */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/^\s*(`{3,})/gm)].map((m) => m[1].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;

/** Plain words of a Markdown line, for the description. */
const plainWords = (text: string) => text.replace(/\\(.)/g, '$1').replace(/[`*_[\]]|\]\([^)]*\)/g, '').replace(/\s+/g, ' ').trim();

export function renderChapter(article: Article, options: RenderOptions): { mdx: string; cells: PlannedCell[] } {
  const cells: PlannedCell[] = [];
  const usedIds = new Set<string>();
  const out: string[] = [];
  let heading = '';
  let lastServer: PlannedCell | undefined;
  const firstParagraph = article.blocks.find((block) => block.kind === 'paragraph');
  const description = firstParagraph && firstParagraph.kind === 'paragraph' ? plainWords(firstParagraph.text).slice(0, 120) : article.title;

  out.push('---', `title: ${quote(article.title)}`, `description: ${quote(description)}`, `sidebar: { order: ${options.sidebarOrder} }`, '---', '');
  out.push(comment(`import: 由 npm run import 从 ${options.sourceName} 导入；请核对标有 import: 和 review: 的注释，核对后删掉它们。 / Imported from ${options.sourceName} by npm run import: check the notes marked import: and review:, then delete them.`), '');

  for (const block of article.blocks) {
    if (block.kind === 'heading') {
      heading = block.text;
      out.push(`${'#'.repeat(block.depth)} ${block.text}`, '');
    } else if (block.kind === 'paragraph') {
      out.push(block.text, '');
    } else if (block.kind === 'list') {
      out.push(block.items.map((item, k) => `${block.ordered ? `${k + 1}.` : '-'} ${item}`).join('\n'), '');
    } else {
      const guess = guessLanguage(block.fence, block.code);
      const fence = fenceFor(block.code);
      if (!guess.language) {
        // Not a runnable language (bash, text, json...): an ordinary code block.
        out.push(`${fence}${block.fence ?? ''}`, block.code, fence, '');
        continue;
      }
      const server = looksLikeServer(guess.language, block.code);
      const client = !server && lastServer !== undefined && looksLikeClient(block.code);
      // Ids are ASCII: from the heading when it has Latin words, else from the cell's role.
      const base = slugOf(heading) || (server ? 'server' : client ? 'client' : `cell-${cells.length + 1}`);
      let id = base;
      for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
      usedIds.add(id);
      const notes = [...block.notes];
      if (!guess.sure) notes.push(`语言是猜的（${guess.language}），不对就改围栏。 / The language (${guess.language}) is a guess: change the fence if it is wrong.`);
      const cell: PlannedCell = { id, language: guess.language, server, exitCode: 0, notes };
      if (cell.server) {
        notes.push('看起来是服务端（它在等待连接），所以标了 server。 / It looks like a server (it waits for connections), so it is marked server.');
        lastServer = cell;
      } else if (client && lastServer) {
        const serverId = lastServer.id;
        cell.needs = serverId;
        notes.push(`看起来是 ${serverId} 的客户端，所以加了 needs=${serverId}。 / It looks like a client of ${serverId}, so it needs=${serverId}.`);
      }
      if (readsStdin(guess.language, block.code)) {
        cell.stdin = '';
        notes.push('它读输入：在 stdin="…" 里写上读者要输入的内容。 / It reads input: put what the reader types in stdin="…".');
      }
      const result = options.results?.get(id);
      if (result) {
        cell.exitCode = result.exitCode;
        cell.output = result.output;
        notes.push(...result.notes);
      }
      cells.push(cell);
      for (const note of notes) out.push(comment(`import: ${note}`));
      if (result) out.push(comment(`review: 预期输出是导入时实际运行一次记录下来的（exit ${result.exitCode}），请确认它就是课文要展示的结果。 / The expected output was recorded from one real run at import (exit ${result.exitCode}): check it is what the lesson should show.`));
      const meta = [`${guess.language === 'javascript' ? 'js' : guess.language === 'typescript' ? 'ts' : 'python'} run id=${id}`];
      if (cell.server) meta.push('server');
      if (cell.needs) meta.push(`needs=${cell.needs}`);
      if (cell.stdin !== undefined) meta.push(`stdin=${quote(cell.stdin)}`);
      if (cell.exitCode !== 0) meta.push(`exit=${cell.exitCode}`);
      out.push(`${fence}${meta.join(' ')}`, block.code, fence, '');
      const output = (cell.output ?? '').replace(/\s+$/, '');
      const outputFence = fenceFor(output);
      out.push(`${outputFence}output`, ...(output ? [output] : []), outputFence, '');
    }
  }
  return { mdx: out.join('\n').replace(/\n+$/, '\n'), cells };
}
