/**
 * Helpers for the kit's tests: a scratch content folder, and the kit's commands run as a
 * translator runs them (Node 24 on the TypeScript file), with their output and exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** An empty content folder (zh/ and en/), or a copy of `from`. */
export function scratchContent(from?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kit-content-'));
  if (from) cpSync(from, dir, { recursive: true });
  mkdirSync(join(dir, 'zh'), { recursive: true });
  mkdirSync(join(dir, 'en'), { recursive: true });
  return dir;
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<script>` with the project's Node (process.execPath is Node 24 under Vitest). */
export function runScript(script: string, args: string[], env: Record<string, string> = {}): CommandResult {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WORKBOOK_CONTENT_DIR: '', ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export const read = (file: string) => readFileSync(file, 'utf8');

export function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * The same, without blocking this process: needed when the command talks to a runner that
 * lives in this process (a blocked event loop would never answer it).
 */
export function runScriptAsync(script: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', script), ...args], { cwd: ROOT, env: { ...process.env, WORKBOOK_CONTENT_DIR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** Everything `astro build` printed, without colours, and how it ended. */
export interface BuildResult {
  status: number | null;
  log: string;
}

/** Builds the site from `contentDir` into `outDir`, as `WORKBOOK_CONTENT_DIR=... astro build` does. */
export function buildSite(contentDir: string, outDir: string): BuildResult {
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'astro', 'bin', 'astro.mjs'), 'build', '--outDir', outDir], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', WORKBOOK_CONTENT_DIR: contentDir, FORCE_COLOR: '0', NO_COLOR: '1' },
    timeout: 280_000,
  });
  const log = `${build.stdout}\n${build.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  return { status: build.status, log };
}
