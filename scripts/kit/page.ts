/**
 * One chapter file read the way the site and the content check read it: frontmatter split off,
 * the body parsed as MDX, cells found by `collectCells` (src/cells/). On top of that, the
 * translator's kit sees a page as a list of **units** (the frontmatter's title and description,
 * then every top-level heading, paragraph, list, quote, table or JSX block) and reads the
 * **source markers** an en page uses to record which version of each zh unit it translates.
 *
 * Markers (see docs/authoring.md, "Translation status"):
 *   {/* src: 3f2a9c01b7 *\/}          before a translated unit in the en page (an MDX comment)
 *   {/* src: 3f2a9c01b7 todo *\/}     the same unit still awaiting translation
 *   # src: 3f2a9c01b7                 in the en frontmatter, for its title and description
 * The hash is of the zh unit's text with runs of white space collapsed (and line breaks between
 * Chinese characters dropped), so re-wrapping a paragraph does not make its translation
 * outdated, while any change of words or markup does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Root, RootContent } from 'mdast';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { collectCells, isOutputBlock, locateCellError, type CollectedCell } from '../../src/cells/collect-cells.ts';

/** Top-level node types a translator translates. Code, cells and comments are not units. */
const UNIT_TYPES = new Set(['heading', 'paragraph', 'list', 'blockquote', 'table', 'mdxJsxFlowElement']);

/** The aside an imported en page wraps around each zh paragraph still to translate. */
export const AWAITING_ASIDE = ':::caution[待翻译 / Awaiting translation]';
/** The same aside with any fence length (a longer one wraps text that holds an aside itself). */
const AWAITING_ASIDE_PATTERN = /^:{3,}caution\[待翻译 \/ Awaiting translation\]/;

export interface Unit {
  /** 1-based position among the page's units, as `translation-status` prints it. */
  index: number;
  kind: 'frontmatter' | string;
  /** Source text of the unit (for the frontmatter: its title and description lines). */
  text: string;
  hash: string;
  /** 1-based line in the file. */
  line: number;
}

export interface Marker {
  hash: string;
  todo: boolean;
  line: number;
  /** Character range of the marker in the file, for rewriting it. */
  start: number;
  end: number;
  /** True when the node after it is still the awaiting-translation aside. */
  awaitingAside: boolean;
}

export interface Page {
  file: string;
  source: string;
  frontmatter: string;
  tree: Root;
  /** Cells as the site and the content check see them; `cellError` (`file:line:col: ...`) when their metadata is bad. */
  cells: CollectedCell[];
  cellError?: string;
  units: Unit[];
  markers: Marker[];
  /** Comments `{/* review: ... *\/}` left by the import for the author to check. */
  reviewNotes: number;
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/;

/** A line break between two Chinese characters is no space at all (Chinese is written without). */
const CJK_LINE_BREAK = /([\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[ \t]*\r?\n\s*(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])/g;

export function hashText(text: string): string {
  const normalized = text.replace(CJK_LINE_BREAK, '$1').replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(normalized).digest('hex').slice(0, 10);
}

/** Blanks the frontmatter (keeping line numbers and offsets), as the content check does. */
function blankFrontmatter(source: string): { body: string; frontmatter: string } {
  const match = FRONTMATTER.exec(source);
  if (!match) return { body: source, frontmatter: '' };
  return { body: match[0].replace(/[^\n]/g, ' ') + source.slice(match[0].length), frontmatter: match[1] };
}

/** A frontmatter field on one line (`title: ...`), unquoted. Enough for the kit's own needs. */
export function frontmatterField(frontmatter: string, key: string): string | undefined {
  const match = new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(frontmatter);
  if (!match) return undefined;
  const value = match[1].trim();
  return /^(['"]).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** `sidebar: { order: N }` or `sidebar:\n  order: N`. */
export function sidebarOrder(frontmatter: string): number | undefined {
  const match = /^sidebar:\s*(?:\{[^}]*?\border:\s*(-?\d+)|\n(?:[ \t]+.*\n)*?[ \t]+order:\s*(-?\d+))/m.exec(frontmatter + '\n');
  const value = match?.[1] ?? match?.[2];
  return value === undefined ? undefined : Number(value);
}

export function parseMdx(body: string): Root {
  return unified().use(remarkParse).use(remarkMdx).parse(body) as Root;
}

const MARKER = /^\s*\/\*\s*src:\s*([0-9a-f]{6,64}|new)(\s+todo)?\s*\*\/\s*$/;
const FRONTMATTER_MARKER = /^#\s*src:\s*([0-9a-f]{6,64}|new)(\s+todo)?\s*$/m;
const REVIEW = /^\s*\/\*\s*review:/;

/** Reads a page; throws an Error naming the file and line when it is not valid MDX. */
export function readPage(file: string): Page {
  const source = readFileSync(file, 'utf8');
  return pageOf(file, source);
}

export function pageOf(file: string, source: string): Page {
  const { body, frontmatter } = blankFrontmatter(source);
  let tree: Root;
  try {
    tree = parseMdx(body);
  } catch (error) {
    const place = error as { line?: number; column?: number; reason?: string; message: string };
    throw new Error(`${file}:${place.line ?? '?'}:${place.column ?? '?'}: not valid MDX: ${place.reason ?? place.message}`);
  }
  let cells: CollectedCell[] = [];
  let cellError: string | undefined;
  try {
    cells = collectCells(tree);
  } catch (error) {
    cellError = locateCellError(error, file);
  }

  const units: Unit[] = [];
  const title = frontmatterField(frontmatter, 'title');
  const description = frontmatterField(frontmatter, 'description');
  if (title !== undefined || description !== undefined) {
    const text = `${title ?? ''}\n${description ?? ''}`;
    units.push({ index: 1, kind: 'frontmatter', text, hash: hashText(text), line: 1 });
  }
  const markers: Marker[] = [];
  const fm = FRONTMATTER_MARKER.exec(frontmatter);
  if (fm) {
    const start = source.indexOf(fm[0]);
    markers.push({ hash: fm[1], todo: Boolean(fm[2]), line: source.slice(0, start).split('\n').length, start, end: start + fm[0].length, awaitingAside: false });
  }
  let reviewNotes = 0;
  const children = tree.children;
  children.forEach((node, i) => {
    const start = node.position?.start.offset ?? 0;
    const end = node.position?.end.offset ?? 0;
    const text = source.slice(start, end);
    if (node.type === 'mdxFlowExpression') {
      const marker = MARKER.exec(node.value);
      if (marker) {
        const next = children[i + 1] as RootContent | undefined;
        const nextText = next?.position ? source.slice(next.position.start.offset, next.position.end.offset) : '';
        markers.push({ hash: marker[1], todo: Boolean(marker[2]), line: node.position?.start.line ?? 0, start, end, awaitingAside: AWAITING_ASIDE_PATTERN.test(nextText) });
      } else if (REVIEW.test(node.value)) {
        reviewNotes++;
      }
      return;
    }
    if (!UNIT_TYPES.has(node.type)) return;
    units.push({ index: units.length + 1, kind: node.type, text, hash: hashText(text), line: node.position?.start.line ?? 0 });
  });
  return { file, source, frontmatter, tree, cells, cellError, units, markers, reviewNotes };
}

/** Is this top-level node the expected output of the cell before it? (For copying pages.) */
export { isOutputBlock };
