/**
 * Finds the runnable cells of one MDX/Markdown tree (mdast), in document order, with the
 * expected output that follows each. Used by the remark plugin and by the content check.
 */
import type { Code, Parent, Root, RootContent } from 'mdast';
import { parseCellMeta, type CellMeta } from './cell-meta.ts';

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
}

/** True for a fenced block that holds a cell's expected output. */
export function isOutputBlock(node: RootContent | undefined): node is Code {
  return node?.type === 'code' && node.lang === 'output';
}

/** Walks the tree; throws naming the cell when metadata is bad or an id repeats. */
export function collectCells(tree: Root): CollectedCell[] {
  const cells: CollectedCell[] = [];
  const walk = (parent: Parent) => {
    parent.children.forEach((child, index) => {
      if (child.type === 'code') {
        const meta = parseCellMeta(child.lang, child.meta, `cell-${cells.length + 1}`);
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
    if (seen.has(cell.meta.id)) throw new Error(`Two runnable cells share the id "${cell.meta.id}"; give each an id= of its own.`);
    seen.add(cell.meta.id);
  }
  for (const cell of cells) {
    if (cell.meta.needs && !cells.some((other) => other.meta.id === cell.meta.needs && other.meta.server)) {
      throw new Error(`Cell "${cell.meta.id}" needs "${cell.meta.needs}", which is not a server cell on this page.`);
    }
  }
  return cells;
}
