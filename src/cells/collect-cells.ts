/**
 * Finds the runnable cells of one MDX/Markdown tree (mdast), in document order, with the
 * expected output that follows each. Used by the remark plugin and by the content check.
 */
import { isAbsolute, relative } from 'node:path';
import type { Code, Parent, Root, RootContent } from 'mdast';
import { parseCellMeta, parseFileBlockName, type CellMeta } from './cell-meta.ts';

/** Bad cell metadata, with the fenced block it is about (its `position` gives the line). */
export class CellError extends Error {
  override name = 'CellError';
  readonly node: Code;
  constructor(message: string, node: Code) {
    super(message);
    this.node = node;
  }
}

/**
 * `content/zh/x.mdx:12:1: <message>`: where a cell error is, as editors and terminals link it
 * (the path relative to the working directory when it lies below it).
 */
export function locateCellError(error: unknown, path: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  const start = error instanceof CellError ? error.node.position?.start : undefined;
  if (!path) return message;
  const rel = isAbsolute(path) ? relative(process.cwd(), path) : path;
  const shown = rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  return `${shown}${start ? `:${start.line}:${start.column}` : ''}: ${message}`;
}

export interface CollectedCell {
  meta: CellMeta;
  code: string;
  /** Text of the `output` block right after the cell, if any. */
  expectedOutput?: string;
  /** The cell's code node and its parent, for transforms. */
  node: Code;
  parent: Parent;
  /** The `output` node (same parent), if any. */
  outputNode?: Code;
  /** The file blocks its `files=` names, by name: written to the working directory first. */
  files?: Record<string, string>;
}

/** True for a fenced block that holds a cell's expected output. */
export function isOutputBlock(node: RootContent | undefined): node is Code {
  return node?.type === 'code' && node.lang === 'output';
}

/** Walks the tree; throws a CellError naming the cell when metadata is bad or an id repeats. */
export function collectCells(tree: Root): CollectedCell[] {
  const cells: CollectedCell[] = [];
  const fileBlocks = new Map<string, string>();
  const walk = (parent: Parent) => {
    parent.children.forEach((child, index) => {
      if (child.type === 'code') {
        let meta: CellMeta | null;
        try {
          const fileName = parseFileBlockName(child.meta);
          if (fileName !== null) {
            if (fileBlocks.has(fileName)) throw new Error(`Two file blocks are named ${fileName}; give each file= a name of its own.`);
            fileBlocks.set(fileName, child.value);
          }
          meta = parseCellMeta(child.lang, child.meta, `cell-${cells.length + 1}`);
        } catch (error) {
          throw new CellError((error as Error).message, child);
        }
        if (meta) {
          const next = parent.children[index + 1] as RootContent | undefined;
          const outputNode = isOutputBlock(next) ? next : undefined;
          cells.push({ meta, code: child.value, expectedOutput: outputNode?.value, node: child, parent, outputNode });
        }
      } else if ('children' in child) {
        walk(child as Parent);
      }
    });
  };
  walk(tree);
  const seen = new Set<string>();
  for (const cell of cells) {
    if (seen.has(cell.meta.id)) throw new CellError(`Two runnable cells share the id "${cell.meta.id}"; give each an id= of its own.`, cell.node);
    seen.add(cell.meta.id);
  }
  for (const cell of cells) {
    if (cell.meta.needs && !cells.some((other) => other.meta.id === cell.meta.needs && other.meta.server)) {
      throw new CellError(`Cell "${cell.meta.id}" needs "${cell.meta.needs}", which is not a server cell on this page: mark that cell \`server\`, or fix the id after needs=.`, cell.node);
    }
  }
  for (const cell of cells) {
    if (!cell.meta.files) continue;
    const missing = cell.meta.files.filter((name) => !fileBlocks.has(name));
    if (missing.length) {
      throw new CellError(`Cell "${cell.meta.id}" lists files=${missing.join(',')}, but this page has no file block of that name: add a fence with file=${missing[0]} (its text is the file).`, cell.node);
    }
    cell.files = Object.fromEntries(cell.meta.files.map((name) => [name, fileBlocks.get(name) as string]));
  }
  return cells;
}
