/**
 * The en twin of a zh page, awaiting translation: the same frontmatter, cells, outputs and
 * comments, and for each unit (see page.ts) a source marker `{/* src: <hash> todo *\/}` and the
 * zh text itself, shown to readers under a "待翻译 / Awaiting translation" aside (headings stay
 * as they are, so the table of contents keeps its shape). The translator replaces each aside
 * with the translation and runs `npm run translation-status -- --mark en/<path>`.
 */
import { AWAITING_ASIDE, pageOf } from './page.ts';

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/;

export function awaitingTwin(zhFile: string, zhSource: string): string {
  const page = pageOf(zhFile, zhSource);
  const unitAt = new Map(page.units.filter((u) => u.kind !== 'frontmatter').map((u) => [u.line, u]));
  const frontmatterUnit = page.units.find((u) => u.kind === 'frontmatter');
  const edits: { start: number; end: number; text: string }[] = [];
  for (const node of page.tree.children) {
    const position = node.position;
    if (!position) continue;
    const unit = unitAt.get(position.start.line);
    if (!unit) continue;
    const start = position.start.offset!;
    const end = position.end.offset!;
    const text = zhSource.slice(start, end);
    const marker = `{/* src: ${unit.hash} todo */}`;
    if (node.type === 'heading') {
      edits.push({ start, end, text: `${marker}\n${text}` });
    } else {
      // An aside inside the text (:::note) needs a longer fence around it.
      const longest = Math.max(2, ...[...text.matchAll(/^:{3,}/gm)].map((m) => m[0].length));
      const colons = ':'.repeat(longest + 1);
      const open = AWAITING_ASIDE.replace(/^:+/, colons);
      edits.push({ start, end, text: `${marker}\n${open}\n${text}\n${colons}` });
    }
  }
  let en = zhSource;
  for (const edit of edits.sort((a, b) => b.start - a.start)) en = en.slice(0, edit.start) + edit.text + en.slice(edit.end);
  if (frontmatterUnit) {
    en = en.replace(FRONTMATTER, (block, inner: string) => block.replace(inner, `${inner}\n# src: ${frontmatterUnit.hash} todo`));
  }
  return en;
}
