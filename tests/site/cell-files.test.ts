/**
 * Cells that run a program as its author wrote it: `args="…"` and `files=` naming file blocks
 * (`file=<name>` fences) on the same page, parsed from real MDX the way the site and the
 * content check read it.
 */
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { describe, expect, test } from 'vitest';
import { CellError, collectCells } from '../../src/cells/collect-cells.ts';

const cellsOf = (mdx: string) => collectCells(unified().use(remarkParse).use(remarkMdx).parse(mdx));

const page = (serverMeta: string, extraBlocks = '') => `# A page

\`\`\`python file=proto.py title="proto.py"
def pack(obj): return obj
\`\`\`

\`\`\`text file=lib/data.txt
line one
\`\`\`
${extraBlocks}
\`\`\`python run id=server ${serverMeta}
import sys, proto
print(sys.argv[1:])
\`\`\`
`;

describe('args and files on a cell', () => {
  test('args split at spaces; files= carries the named blocks, which are not cells themselves', () => {
    const cells = cellsOf(page('server args="127.0.0.1 9170" files=proto.py,lib/data.txt'));
    expect(cells.map((cell) => cell.meta.id)).toEqual(['server']);
    expect(cells[0].meta.args).toEqual(['127.0.0.1', '9170']);
    expect(cells[0].files).toEqual({ 'proto.py': 'def pack(obj): return obj', 'lib/data.txt': 'line one' });
  });

  test('a cell without them sends neither', () => {
    const [cell] = cellsOf(page('server'));
    expect(cell.meta.args).toBeUndefined();
    expect(cell.files).toBeUndefined();
  });

  test.each([
    ['files= naming no file block', 'files=missing.py', '', /files=missing\.py, but this page has no file block of that name: add a fence with file=missing\.py/],
    ['a file name that climbs out', 'files=../x.py', '', /plain relative name like libserver\.py/],
    ['a file block that climbs out', '', '```python file=../evil.py\nx\n```\n', /not a plain relative name like file=libserver\.py/],
    ['an absolute file block name', '', '```python file=/etc/passwd\nx\n```\n', /not a plain relative name/],
    ['two file blocks with one name', '', '```python file=proto.py\nx\n```\n', /Two file blocks are named proto\.py/],
    ['a fence that is both', '', '```python run id=both file=x.py\nx\n```\n', /both a runnable cell \(`run`\) and a file block/],
  ])('%s is an error that says what to do, at the block', (_, meta, extra, message) => {
    let error: unknown;
    try {
      cellsOf(page(meta, extra));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CellError);
    expect((error as Error).message).toMatch(message);
    expect((error as CellError).node.position?.start.line).toBeGreaterThan(1);
  });
});
