/**
 * A checkout anywhere: cloned into root's home (`/root` is 0700 on Debian) or a `mktemp -d`
 * folder, the Node binary the sandbox binds is out of reach of a session's uid. The runner must
 * still run every language there. Proven with a Node binary in a 0700 folder, as such a
 * checkout's node_modules/.bin/node is.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import { run, startTestRunner } from '../support.ts';

let runner: RunningServer;
let privateDir: string;

beforeAll(async () => {
  privateDir = mkdtempSync(join(tmpdir(), 'private-checkout-'));
  chmodSync(privateDir, 0o700);
  const nodePath = join(privateDir, 'node');
  copyFileSync(process.execPath, nodePath);
  chmodSync(nodePath, 0o755);
  runner = await startTestRunner({ nodePath });
});
afterAll(async () => {
  await runner?.close();
  rmSync(privateDir, { recursive: true, force: true });
});

test.each([
  ['python', 'print("py ok")', 'py ok\n'],
  ['javascript', 'console.log("js ok")', 'js ok\n'],
  ['typescript', 'const x: string = "ts ok"; console.log(x)', 'ts ok\n'],
] as const)('%s runs when the Node binary lives in a 0700 folder', async (language, code, expected) => {
  const result = await run(runner.url, { language, code });
  expect(result.stderr).toBe('');
  expect(result.stdout).toBe(expected);
});
