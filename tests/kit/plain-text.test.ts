import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readPlainText, PLAIN_TEXT_CODE_NOTE } from '../../scripts/kit/import/plain-text.ts';
import { readMarkdown } from '../../scripts/kit/import/markdown.ts';
import { escapeMdxText, guessLanguage, looksLikeServer } from '../../scripts/kit/import/blocks.ts';
import { FIXTURES, read } from './support.ts';

describe('plain-text articles (no markup, no fences)', () => {
  const seed = readPlainText(read(join(FIXTURES, 'seed-excerpt.zh.txt')), 'fallback');

  test('the first line is the title', () => {
    expect(seed.title).toBe('python中的socket是什么意思?如何使用');
  });

  test('numbered Chinese sections are h2, short lines and API signatures are headings, prose after a signature stays prose', () => {
    const headings = seed.blocks.filter((b) => b.kind === 'heading').map((b) => b.kind === 'heading' && `${b.depth} ${b.text}`);
    expect(headings).toEqual(['2 Socket', '2 一、概述', '3 socket_server', '3 socket_client', '3 Web实例', '2 二、解释', '3 sk.bind(address)', '3 sk.listen(backlog)', '3 sk.fileno()', '3 UDP demo']);
    const afterFileno = seed.blocks[seed.blocks.findIndex((b) => b.kind === 'heading' && b.text === 'sk.fileno()') + 1];
    expect(afterFileno).toEqual({ kind: 'paragraph', text: '套接字的文件描述符' });
  });

  test('dash lines become one list', () => {
    const lists = seed.blocks.filter((b) => b.kind === 'list');
    expect(lists).toHaveLength(1);
    expect(lists[0].kind === 'list' && lists[0].items).toEqual([
      'file模块是针对某个指定文件进行【打开】【读写】【关闭】',
      'socket模块是针对 服务器端 和 客户端Socket 进行【打开】【读写】【关闭】',
      '【关闭】',
    ]);
  });

  test('a line shaped like code becomes a code block with a note saying it was guessed', () => {
    const code = seed.blocks.filter((b) => b.kind === 'code');
    expect(code).toEqual([{ kind: 'code', fence: null, code: 'sk = socket.socket(socket.AF_INET,socket.SOCK_STREAM,0)', notes: [PLAIN_TEXT_CODE_NOTE] }]);
  });

  test('a call naming its arguments in the middle of a program stays in the program', () => {
    const article = readPlainText(
      ['关闭连接', '示例：', 'import socket', 'a, b = socket.socketpair()', "a.sendall(b'bye')", 'a.shutdown(socket.SHUT_WR)', 'print(b.recv(1024))', '读到空字节串说明对方已经关闭了写的方向。'].join('\n'),
      'x',
    );
    const code = article.blocks.filter((b) => b.kind === 'code').map((b) => (b.kind === 'code' ? b.code : ''));
    expect(code).toEqual(["import socket\na, b = socket.socketpair()\na.sendall(b'bye')\na.shutdown(socket.SHUT_WR)\nprint(b.recv(1024))"]);
    expect(article.blocks.at(-1)).toEqual({ kind: 'paragraph', text: '读到空字节串说明对方已经关闭了写的方向。' });
  });

  test('indented code is one block, dedented, up to the next prose line; a shaped run ends at prose', () => {
    const article = readPlainText(read(join(FIXTURES, 'echo-server.zh.txt')), 'x');
    const code = article.blocks.filter((b) => b.kind === 'code').map((b) => (b.kind === 'code' ? b.code : ''));
    expect(code).toHaveLength(2);
    expect(code[0].split('\n')[0]).toBe('import socket');
    expect(code[0]).toContain('\n    conn, addr = sk.accept()\n');
    expect(code[0].split('\n').at(-1)).toBe('    conn.close()');
    expect(code[1].split('\n').at(-1)).toBe('sk.close()');
    expect(article.blocks.at(-1)).toEqual({ kind: 'paragraph', text: '结果会打印服务端的回答。' });
  });
});

describe('Markdown articles', () => {
  const article = readMarkdown(read(join(FIXTURES, 'echo-server.zh.md')), 'fallback');

  test('the h1 is the title; sections keep their level; text is escaped for MDX, inline markup kept', () => {
    expect(article.title).toBe('回声服务器');
    expect(article.blocks[0]).toEqual({ kind: 'paragraph', text: '回声服务器把收到的数据原样发回去。它是学习 `socket` 最简单的例子：一个**服务端**，一个*客户端*。' });
    const braces = article.blocks.find((b) => b.kind === 'paragraph' && b.text.includes('端口'));
    expect(braces?.kind === 'paragraph' && braces.text).toContain('\\{端口\\} 和 \\<地址\\>');
    expect(article.blocks.filter((b) => b.kind === 'heading').map((b) => b.kind === 'heading' && b.depth)).toEqual([2, 2, 2]);
  });

  test('fences keep their language; an ordered list stays ordered', () => {
    expect(article.blocks.filter((b) => b.kind === 'code').map((b) => b.kind === 'code' && b.fence)).toEqual(['python', 'python', null, 'bash']);
    expect(article.blocks.find((b) => b.kind === 'list')).toEqual({ kind: 'list', ordered: true, items: ['连接服务端；', '发送一句话；', '打印回声。'] });
  });
});

describe('guesses', () => {
  test.each([
    [null, 'import socket\nprint(1)', 'python', true],
    [null, "const a = 1;\nconsole.log(a);", 'javascript', true],
    [null, 'x = 1', 'python', false],
    ['py', 'anything', 'python', true],
    ['bash', 'ls', null, true],
  ] as const)('fence %s, code %j: %s (sure: %s)', (fence, code, language, sure) => {
    expect(guessLanguage(fence, code)).toEqual({ language, sure });
  });

  test('servers wait for connections in a loop; a one-shot script is not one', () => {
    expect(looksLikeServer('python', 'while True:\n    c, a = sk.accept()')).toBe(true);
    expect(looksLikeServer('python', 'sk.connect(("127.0.0.1", 1))')).toBe(false);
  });

  test('MDX escaping covers JSX, expressions and block starts but not underscores inside names', () => {
    expect(escapeMdxText('{a} <b> socket_server _x_ # y')).toBe('\\{a\\} \\<b\\> socket_server \\_x\\_ # y');
    expect(escapeMdxText('# not a heading')).toBe('\\# not a heading');
    expect(escapeMdxText('- not a list')).toBe('\\- not a list');
  });
});
