import { describe, expect, test } from 'vitest';
import { EndMarkerScanner, encodeArgument, launchLine, runScript, zygoteScript } from '../../../sandbox-runner/sandbox/launcher.ts';
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

describe('zygote and run scripts', () => {
  test('the run script has an arm per variant, appending the run\'s code file', () => {
    const script = runScript();
    for (const variant of Object.values(VARIANTS)) expect(script).toContain(`${variant.name}) set -- ${variant.argv.join(' ')} "/cell/$seq/${variant.fileName}"`);
  });

  test('the run shell holds its FIFOs open before it reports (a FIFO nobody holds loses its data)', () => {
    const script = runScript();
    const opens = script.indexOf('exec <"/cell/$seq/in"');
    const reports = script.indexOf('echo "$seq $$" >&3');
    expect(opens).toBeGreaterThanOrEqual(0);
    expect(reports).toBeGreaterThan(opens);
  });

  test('the zygote embeds the run script and starts one run per line', () => {
    const zygote = zygoteScript();
    expect(zygote).toContain(`RUN='${runScript()}'`);
    expect(zygote).toMatch(/while read -r seq; do\n.*"\$RUN" run "\$seq" 3>&1 <\/dev\/null >\/dev\/null 2>&1 &\ndone/);
  });

  test('launchLine: variant, nonce, argument count and files flag, then one encoded line per argument', () => {
    expect(launchLine('python', NONCE)).toBe(`python ${NONCE} 0 0\n`);
    expect(launchLine('python', NONCE, ['127.0.0.1', 'a b', 'ü\n'], true)).toBe(`python ${NONCE} 3 1\n127.0.0.1\na\\0040b\n\\0303\\0274\\0012\n`);
  });

  test('an encoded argument holds no byte the run script would misread (spaces, quotes, newlines, backslashes)', () => {
    for (const arg of ["it's", '"x"', 'a\\b', 'line\nbreak', '$HOME', '%s']) expect(encodeArgument(arg)).toMatch(/^[A-Za-z0-9._\/=:,+@\\-]*$/);
  });
});
