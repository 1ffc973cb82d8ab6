/**
 * The HTTP layer's pure checks: which Host names the runner answers to, how clients are
 * counted, where a preview's redirect may point, and the HTTP settings from the environment.
 */
import { describe, expect, test } from 'vitest';
import { clientKey } from '../../../sandbox-runner/http/client-address.ts';
import { isAllowedHost } from '../../../sandbox-runner/http/request-guard.ts';
import { rewriteLocation } from '../../../sandbox-runner/http/preview.ts';
import { ConfigError, loadConfig } from '../../../sandbox-runner/config.ts';

describe('isAllowedHost', () => {
  test.each([
    ['127.0.0.1:4321', true],
    ['[::1]:4321', true],
    ['203.0.113.9', true],
    ['localhost:4321', true],
    ['app.localhost', true],
    ['workbook.example:443', true],
    ['WORKBOOK.example', true],
    ['rebind.attacker.example:4321', false],
    ['127.0.0.1.attacker.example', false],
  ])('%s → %s', (host, allowed) => {
    expect(isAllowedHost(host, ['workbook.example'])).toBe(allowed);
  });
});

describe('clientKey', () => {
  test.each([
    ['127.0.0.2', '127.0.0.2'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

describe('rewriteLocation', () => {
  const prefix = '/api/sessions/s1/preview/8080';
  test.each([
    ['/next?x=1', `${prefix}/next?x=1`],
    ['other', `${prefix}/dir/other`],
    ['../../../../etc', `${prefix}/etc`],
    ['http://localhost:8080/a#b', `${prefix}/a#b`],
    ['http://127.0.0.1:8080/', `${prefix}/`],
    ['http://127.0.0.1:9090/', undefined],
    ['http://example.org/', undefined],
    ['javascript:alert(1)', undefined],
  ])('%s → %s', (location, rewritten) => {
    expect(rewriteLocation(location, '/dir/page', prefix, 8080)).toBe(rewritten);
  });
});

describe('HTTP settings', () => {
  test('come from the environment', () => {
    const { http } = loadConfig({}, { RUNNER_PREVIEW_ORIGIN: 'https://preview.example/ignored', RUNNER_ALLOWED_HOSTS: 'a.example, b.example', RUNNER_TRUST_PROXY: '1', RUNNER_MAX_SESSIONS_PER_CLIENT: '5' });
    expect(http).toMatchObject({ previewOrigin: 'https://preview.example', allowedHosts: ['a.example', 'b.example'], trustProxy: true, maxSessionsPerClient: 5 });
  });
  test('a bad value names the setting', () => {
    expect(() => loadConfig({}, { RUNNER_PREVIEW_ORIGIN: 'ftp://x', RUNNER_TRUST_PROXY: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { RUNNER_PREVIEW_ORIGIN: 'ftp://x' })).toThrow(/http\.previewOrigin/);
    expect(() => loadConfig({ http: { headersTimeoutMs: 60_000, requestTimeoutMs: 30_000 } }, {})).toThrow(/headersTimeoutMs/);
  });
});
