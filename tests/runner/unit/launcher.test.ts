import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { EndMarkerScanner, launcherScript, launchLine } from '../../../sandbox-runner/sandbox/launcher.ts';
import { VARIANTS } from '../../../sandbox-runner/languages.ts';

const NONCE = '0123456789abcdef01234567';
const stdoutMarker = Buffer.from(`\0SW:${NONCE}:3\0`);
const stderrMarker = Buffer.from(`\0SW:${NONCE}\0`);

describe('EndMarkerScanner', () => {
  test('passes output through and finds the marker with the status', () => {
    const scanner = new EndMarkerScanner(NONCE);
    expect(scanner.push(Buffer.from('hello\n')).toString()).toBe('hello\n');
    expect(scanner.ended).toBeNull();
    expect(scanner.push(Buffer.concat([Buffer.from('last'), stdoutMarker])).toString()).toBe('last');
    expect(scanner.ended).toBe('3');
  });

  test.each([1, 2, 5, 13, 20, 31])('finds a marker split after %d bytes, holding back only what could be one', (split) => {
    const scanner = new EndMarkerScanner(NONCE);
    const whole = Buffer.concat([Buffer.from('out\0put'), stdoutMarker]);
    const cut = 7 + split;
    const first = scanner.push(whole.subarray(0, cut));
    const second = scanner.push(whole.subarray(cut));
    expect(Buffer.concat([first, second]).toString()).toBe('out\0put');
    expect(scanner.ended).toBe('3');
  });

  test('the stderr marker carries no status', () => {
    const scanner = new EndMarkerScanner(NONCE);
    scanner.push(stderrMarker);
    expect(scanner.ended).toBe('');
  });

  test('a marker with another nonce is ordinary output', () => {
    const scanner = new EndMarkerScanner(NONCE);
    const forged = Buffer.from('\0SW:ffffffffffffffffffffffff:0\0');
    expect(Buffer.concat([scanner.push(forged), scanner.flush()])).toEqual(forged);
    expect(scanner.ended).toBeNull();
  });

  test('held-back bytes come out when the stream ends without a marker', () => {
    const scanner = new EndMarkerScanner(NONCE);
    expect(scanner.push(Buffer.from('abc\0SW')).toString()).toBe('abc');
    expect(scanner.flush().toString()).toBe('\0SW');
  });
});

describe('launcher script', () => {
  test('has an arm per variant and runs the program, then writes both markers', () => {
    const script = launcherScript();
    for (const variant of Object.values(VARIANTS)) expect(script).toContain(`${variant.name}) set -- '${variant.argv[0]}'`);
    // Run it with the shell it runs under, a stand-in program and a real launch line.
    const patched = script.replace(/^python\) set -- .*$/m, "python) set -- /bin/sh -c 'echo out; echo err >&2; exit 3' ;;");
    const result = spawnSync('/bin/sh', ['-c', patched, 'launcher'], { input: launchLine('python', NONCE) });
    expect(result.stdout.toString('latin1')).toBe(`out\n\0SW:${NONCE}:3\0`);
    expect(result.stderr.toString('latin1')).toBe(`err\n\0SW:${NONCE}\0`);
    expect(result.status).toBe(3);
  });

  test('an unknown variant exits 125 without running anything', () => {
    const result = spawnSync('/bin/sh', ['-c', launcherScript(), 'launcher'], { input: launchLine('cobol', NONCE) });
    expect(result.status).toBe(125);
    expect(result.stdout.length).toBe(0);
  });
});
