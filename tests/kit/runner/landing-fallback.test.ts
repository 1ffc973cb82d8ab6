/**
 * A lesson set whose en folder has no landing page: `/en/` is the zh landing page under the
 * English missing-translation notice (Starlight's fallback), built without a warning (a redirect
 * of `/en/` would conflict with that fallback).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { buildSite, scratchContent, write } from '../support.ts';

const content = scratchContent();
const outDir = mkdtempSync(join(tmpdir(), 'kit-landing-dist-'));
afterAll(() => {
  rmSync(content, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

test('/en/ falls back to the zh landing page, says so and links to it, and the build is quiet', () => {
  const page = (title: string, order: number, text: string) => `---\ntitle: ${title}\ndescription: d\nsidebar: { order: ${order} }\n---\n\n${text}\n`;
  write(join(content, 'zh', 'index.mdx'), page('首页', 0, '这是首页。'));
  write(join(content, 'zh', 'a.mdx'), page('甲', 1, '第一页。'));
  write(join(content, 'en', 'a.mdx'), page('A', 1, 'The first page.'));
  const build = buildSite(content, outDir);
  expect(build.status, build.log).toBe(0);
  expect(build.log.split('\n').filter((line) => /\[(WARN|ERROR)\]/.test(line))).toEqual([]);
  const html = readFileSync(join(outDir, 'en', 'index.html'), 'utf8');
  expect(html).not.toContain('http-equiv="refresh"');
  expect(html).toMatch(/data-notice="missing" lang="en"[^>]*>This page has not been translated into English yet\. <a href="\/zh\/"/);
  expect(html).toContain('这是首页。');
});
