/**
 * The text of a new page pair: a zh page with one sample cell, and its en translation, whose
 * source markers name the zh units it translates (so the pair starts up to date).
 */
import { pageOf } from './page.ts';

export interface ScaffoldOptions {
  /** Last segment of the page path: the sample cell's id and the default title. */
  slug: string;
  title?: string;
  order: number;
  /** For error messages only. */
  zhFile: string;
}

const quote = (value: string) => JSON.stringify(value);

export function scaffoldPages(options: ScaffoldOptions): { zh: string; en: string } {
  const id = `${options.slug.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'sample'}-sample`;
  const title = options.title ?? options.slug;
  const zhUnits = {
    description: `${title}：一句话说明这一页讲什么。`,
    intro: '这里写这一页的正文。下面的单元格可以直接运行；改过代码以后，记得同时更新它下面的预期输出。',
    heading: '## 示例',
    after: '内容检查（`npm test`）会运行每个单元格，并把输出与 `output` 块比较。',
  };
  const enUnits = {
    title: options.title ? options.title : options.slug,
    description: `${options.title ?? options.slug}: one sentence on what this page is about.`,
    intro: 'The text of the page goes here. The cell below runs as it is; when you change its code, update the expected output under it too.',
    heading: '## Example',
    after: 'The content check (`npm test`) runs every cell and compares what it prints with its `output` block.',
  };
  const cell = (comment: string) => ['```python run id=' + id, `print('你好, socket')  # ${comment}`, '```', '', '```output', '你好, socket', '```'].join('\n');
  const zh = [
    '---',
    `title: ${quote(title)}`,
    `description: ${quote(zhUnits.description)}`,
    `sidebar: { order: ${options.order} }`,
    '---',
    '',
    zhUnits.intro,
    '',
    zhUnits.heading,
    '',
    cell('改成你的例子'),
    '',
    zhUnits.after,
    '',
  ].join('\n');
  // Record which zh units each en unit translates (see page.ts), in the same order.
  const units = pageOf(options.zhFile, zh).units;
  const [fm, intro, heading, after] = units.map((unit) => unit.hash);
  const en = [
    '---',
    `title: ${quote(enUnits.title)}`,
    `description: ${quote(enUnits.description)}`,
    `sidebar: { order: ${options.order} }`,
    `# src: ${fm}`,
    '---',
    '',
    `{/* src: ${intro} */}`,
    enUnits.intro,
    '',
    `{/* src: ${heading} */}`,
    enUnits.heading,
    '',
    cell('replace with your example'),
    '',
    `{/* src: ${after} */}`,
    enUnits.after,
    '',
  ].join('\n');
  return { zh, en };
}
