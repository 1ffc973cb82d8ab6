/**
 * Reads a Markdown article into blocks. Markdown is not MDX (`{`, `<` and HTML mean something
 * else there), so text is re-written from the parsed tree rather than copied: every text node is
 * escaped, inline code, emphasis, links and images are kept.
 */
import type { List, ListItem, PhrasingContent, Root, RootContent } from 'mdast';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { escapeMdxText, type Article, type Block } from './blocks.ts';

function toText(node: { value?: string; children?: unknown[] }): string {
  if (typeof node.value === 'string') return node.value;
  return (node.children ?? []).map((child) => toText(child as { value?: string; children?: unknown[] })).join('');
}

function codeSpan(value: string): string {
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return value.startsWith('`') || value.endsWith('`') ? `${fence} ${value} ${fence}` : `${fence}${value}${fence}`;
}

const escapeUrl = (url: string) => url.replace(/[()<>\s]/g, (c) => encodeURIComponent(c));

function inline(nodes: PhrasingContent[]): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case 'text':
          return escapeMdxText(node.value).replace(/\n/g, ' ');
        case 'inlineCode':
          return codeSpan(node.value);
        case 'emphasis':
          return `*${inline(node.children)}*`;
        case 'strong':
          return `**${inline(node.children)}**`;
        case 'delete':
          return inline(node.children);
        case 'link':
          return `[${inline(node.children)}](${escapeUrl(node.url)})`;
        case 'image':
          return `![${escapeMdxText(node.alt ?? '')}](${escapeUrl(node.url)})`;
        case 'break':
          return '\\\n';
        default:
          // HTML and anything else: kept as visible text, escaped.
          return escapeMdxText(toText(node as { value?: string; children?: unknown[] }));
      }
    })
    .join('');
}

function listItems(list: List, indent = ''): string[] {
  return list.children.map((item: ListItem) => {
    const parts: string[] = [];
    for (const child of item.children) {
      if (child.type === 'paragraph') parts.push(inline(child.children));
      else if (child.type === 'list') {
        const marker = (k: number) => (child.ordered ? `${k + 1}.` : '-');
        parts.push('\n' + listItems(child, indent + '  ').map((text, k) => `${indent}  ${marker(k)} ${text}`).join('\n'));
      } else parts.push(escapeMdxText(toText(child as { value?: string; children?: unknown[] })));
    }
    return parts.join(' ').replace(/ \n/g, '\n');
  });
}

export function readMarkdown(source: string, fallbackTitle: string): Article {
  const tree = unified().use(remarkParse).parse(source) as Root;
  const h1s = tree.children.filter((node) => node.type === 'heading' && node.depth === 1);
  let title = fallbackTitle;
  let children: RootContent[] = tree.children;
  const first = children.find((node) => node.type !== 'html');
  if (first?.type === 'heading' && first.depth === 1) {
    title = toText(first);
    children = children.filter((node) => node !== first);
  }
  // Starlight shows the title as the page's h1: the article's sections start at h2.
  const shift = h1s.length > 1 || children.some((node) => node.type === 'heading' && node.depth === 1) ? 1 : 0;
  const blocks: Block[] = [];
  for (const node of children) {
    switch (node.type) {
      case 'heading':
        blocks.push({ kind: 'heading', depth: Math.min(6, Math.max(2, node.depth + shift)), text: inline(node.children) });
        break;
      case 'paragraph':
        blocks.push({ kind: 'paragraph', text: inline(node.children) });
        break;
      case 'list':
        blocks.push({ kind: 'list', ordered: Boolean(node.ordered), items: listItems(node) });
        break;
      case 'blockquote':
        blocks.push({ kind: 'paragraph', text: node.children.map((child) => (child.type === 'paragraph' ? `> ${inline(child.children)}` : `> ${escapeMdxText(toText(child as { value?: string; children?: unknown[] }))}`)).join('\n>\n') });
        break;
      case 'code':
        blocks.push({ kind: 'code', fence: node.lang ?? null, code: node.value, notes: [] });
        break;
      case 'thematicBreak':
        break;
      default: {
        const text = toText(node as { value?: string; children?: unknown[] }).trim();
        if (text) blocks.push({ kind: 'paragraph', text: escapeMdxText(text).replace(/\n/g, ' ') });
      }
    }
  }
  return { title, blocks };
}
