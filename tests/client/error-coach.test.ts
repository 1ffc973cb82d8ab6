/**
 * The error coach over real output: each fixture in fixtures/errors/ is what a program beside it
 * printed when run through the runner (see fixtures/errors/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { coachEntries, type CoachKey } from '../../src/client/error-coach.ts';
import en from '../../src/i18n/en.json' with { type: 'json' };
import zh from '../../src/i18n/zh.json' with { type: 'json' };

const FIXTURES = join(import.meta.dirname, 'fixtures/errors');
const recorded = (name: string) => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');

const CASES: Array<[fixture: string, key: CoachKey, chapter: string]> = [
  ['py-refused', 'refused', 'socket-failures'],
  ['js-refused', 'refused', 'socket-failures'],
  ['py-inuse', 'in-use', 'troubleshooting'],
  ['js-inuse', 'in-use', 'troubleshooting'],
  ['py-brokenpipe', 'broken-pipe', 'socket-failures'],
  ['js-epipe', 'broken-pipe', 'socket-failures'],
  ['py-reset', 'reset', 'socket-failures'],
  ['js-reset', 'reset', 'socket-failures'],
  ['py-timeout', 'timeout', 'socket-failures'],
  ['py-gaierror', 'name', 'names-addresses'],
  ['js-dns-lookup', 'name', 'names-addresses'],
  ['js-connect-unknown-host', 'name', 'names-addresses'],
  ['py-blocking', 'would-block', 'multi-connection'],
];

describe('coachEntries', () => {
  test.each(CASES)('%s → %s', (fixture, key, chapter) => {
    expect(coachEntries(recorded(fixture))).toEqual([{ key, chapter }]);
  });

  test('output without a socket error gets no entry', () => {
    expect(coachEntries('listening on 127.0.0.1:9999\nb"hello" from (\'127.0.0.1\', 51234)\n')).toEqual([]);
    // A lesson that merely mentions a word is not an error: only the error's own shape counts.
    expect(coachEntries('print the timeout value: 3.0\n')).toEqual([]);
  });

  test('two errors in one output give both, each once', () => {
    const both = recorded('py-inuse') + recorded('py-refused') + recorded('py-refused');
    expect(coachEntries(both).map((entry) => entry.key)).toEqual(['in-use', 'refused']);
  });

  test('every entry has its explanation in both languages', () => {
    const keys = new Set(CASES.map(([, key]) => key));
    for (const strings of [en, zh] as Array<Record<string, string>>) {
      for (const key of keys) expect(strings[`coach.${key}`], `coach.${key}`).toMatch(/\S/);
      expect(strings['coach.link']).toContain('{chapter}');
    }
  });
});
