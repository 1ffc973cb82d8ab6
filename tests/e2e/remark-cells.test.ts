/**
 * The build side of cells, without a browser: what the remark plugin makes of runnable blocks,
 * and that both locales have every UI string.
 */
import { describe, expect, test } from 'vitest';
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkMdx from 'remark-mdx';
import type { Root } from 'mdast';
import { localeOfPath, remarkCells } from '../../src/cells/remark-cells.ts';
import { readsStdin, serverPorts } from '../../src/cells/heuristics.ts';
import en from '../../src/i18n/en.json' with { type: 'json' };
import zh from '../../src/i18n/zh.json' with { type: 'json' };

interface Jsx {
  type: string;
  name?: string;
  attributes?: Array<{ name: string; value: string | null }>;
  children?: Jsx[];
  value?: string;
  lang?: string | null;
  meta?: string | null;
}

function transform(markdown: string, path = '/site/content/en/demo.mdx'): Root {
  const tree = unified().use(remarkParse).use(remarkMdx).parse(markdown) as Root;
  remarkCells({ contentDir: '/site/content' })(tree, { path });
  return tree;
}

const attr = (node: Jsx, name: string) => node.attributes?.find((a) => a.name === name)?.value;
function findAll(node: Jsx, predicate: (n: Jsx) => boolean, found: Jsx[] = []): Jsx[] {
  if (predicate(node)) found.push(node);
  for (const child of node.children ?? []) findAll(child, predicate, found);
  return found;
}
const byName = (tree: Root, name: string) => findAll(tree as unknown as Jsx, (n) => n.name === name);
const textOf = (node: Jsx): string => (node.value ?? '') + (node.children ?? []).map(textOf).join('');

const PAGE = [
  'Intro.',
  '',
  '```python run id=srv group=srv server',
  'import socket',
  "s = socket.socket(); s.bind(('127.0.0.1', 9999))",
  '```',
  '',
  '```output',
  'listening on {{port}}',
  '```',
  '',
  'Between.',
  '',
  "```js run id=srv-js group=srv server",
  "import net from 'node:net'; net.createServer().listen(9999);",
  '```',
  '',
  '```python run id=cli needs=srv stdin="hello\\nexit\\n"',
  "print(input())",
  '```',
  '',
  '```python',
  'not a cell',
  '```',
].join('\n');

describe('remark-cells', () => {
  test('a group becomes one cell with tabs, placed where its first block was', () => {
    const tree = transform(PAGE);
    const cells = byName(tree, 'workbook-cell');
    expect(cells.map((c) => attr(c, 'data-cell-ids'))).toEqual(['srv srv-js', 'cli']);
    expect(attr(cells[0], 'data-cell-id')).toBe('srv');
    const tabs = findAll(cells[0], (n) => attr(n, 'role') === 'tab');
    expect(tabs.map(textOf)).toEqual(['Python', 'Node.js']);
    const panels = findAll(cells[0], (n) => attr(n, 'class') === 'wb-panel');
    expect(panels.map((p) => attr(p, 'data-variant-id'))).toEqual(['srv', 'srv-js']);
    expect(attr(panels[0], 'data-timeout-ms')).toBe('120000');
    expect(panels[1].attributes?.some((a) => a.name === 'hidden')).toBe(true);
    // Order on the page: intro, runner bar, the group, "Between.", the client, the plain block.
    const kinds = tree.children.map((n) => (n as Jsx).name ?? n.type);
    expect(kinds).toEqual(['paragraph', 'workbook-session', 'workbook-cell', 'paragraph', 'workbook-cell', 'code']);
  });

  test('the code stays a code node (highlighted at build time) with the cell options removed', () => {
    const tree = transform(PAGE);
    const codes = findAll(byName(tree, 'workbook-cell')[0], (n) => n.type === 'code');
    expect(codes.map((c) => [c.lang, c.meta])).toEqual([['python', null], ['js', null]]);
    expect(attr(findAll(byName(tree, 'workbook-cell')[0], (n) => attr(n, 'class') === 'wb-panel')[0], 'data-code')).toContain('s.bind(');
  });

  test('expected output is rendered with wildcards marked, and the output block is gone', () => {
    const tree = transform(PAGE);
    const expected = findAll(byName(tree, 'workbook-cell')[0], (n) => attr(n, 'class') === 'wb-expected-output');
    expect(expected).toHaveLength(1);
    expect(textOf(expected[0])).toBe('listening on port');
    expect(findAll(expected[0], (n) => attr(n, 'class') === 'wb-wild')).toHaveLength(1);
    expect(findAll(tree as unknown as Jsx, (n) => n.type === 'code' && n.lang === 'output')).toEqual([]);
  });

  test('stdin and needs reach the client; a program reading input gets a stdin box', () => {
    const tree = transform(PAGE);
    const client = byName(tree, 'workbook-cell')[1];
    const panel = findAll(client, (n) => attr(n, 'class') === 'wb-panel')[0];
    expect(attr(panel, 'data-needs')).toBe('srv');
    expect(attr(panel, 'data-stdin')).toBe('hello\nexit\n');
    // The example's input is offered by a button, not put in the box to be sent behind the reader's back.
    const box = findAll(client, (n) => n.name === 'textarea')[0];
    expect(textOf(box)).toBe('');
    expect(findAll(client, (n) => attr(n, 'data-action') === 'send-example')).toHaveLength(1);
  });

  test.each([
    ['/site/content/zh/methods/bind.mdx', 'zh', '运行'],
    ['/site/content/en/methods/bind.mdx', 'en', 'Run'],
  ])('labels follow the locale of %s', (path, locale, run) => {
    expect(localeOfPath(path, { contentDir: '/site/content' })).toBe(locale);
    const tree = transform(PAGE, path);
    const button = findAll(byName(tree, 'workbook-cell')[0], (n) => attr(n, 'data-action') === 'run')[0];
    expect(textOf(button)).toBe(run);
  });

  test('bad metadata fails the build, naming the cell', () => {
    expect(() => transform('```python run id=Bad_Id\nprint(1)\n```')).toThrow(/Bad_Id/);
  });

  test('a page without cells is left alone', () => {
    const tree = transform('# Title\n\n```python\nprint(1)\n```');
    expect(byName(tree, 'workbook-session')).toEqual([]);
  });
});

describe('heuristics', () => {
  test.each([
    ['python', "name = input('name: ')", true],
    ['python', 'import sys\nfor line in sys.stdin: pass', true],
    ['python', "print('hi')", false],
    ['javascript', "process.stdin.on('data', () => {})", true],
    ['javascript', "import readline from 'node:readline'", true],
    ['javascript', 'console.log(1)', false],
  ])('readsStdin(%s, %j) is %s', (language, code, expected) => {
    expect(readsStdin(language, code)).toBe(expected);
  });

  test.each([
    ["sk.bind(('127.0.0.1', 9999))", [9999]],
    ["ip_port = ('127.0.0.1', 9999)\nsk.bind(ip_port)", [9999]],
    ["server.listen(8080, '127.0.0.1')", [8080]],
    ["sock.bind(('localhost', 8080))", [8080]],
    ['print(1)', []],
  ])('serverPorts(%j)', (code, ports) => {
    expect([...serverPorts(code)]).toEqual(ports);
  });
});

test('zh and en UI strings have the same keys and placeholders', () => {
  expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
  }
});
