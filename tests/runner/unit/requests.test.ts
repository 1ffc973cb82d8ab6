import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../../sandbox-runner/config.ts';
import { RunnerError } from '../../../sandbox-runner/errors.ts';
import { parseJson, parseRunRequest, parseStdinRequest } from '../../../sandbox-runner/http/requests.ts';

const { limits } = loadConfig({}, {});

function errorOf(action: () => unknown): RunnerError {
  try {
    action();
  } catch (error) {
    if (error instanceof RunnerError) return error;
    throw error;
  }
  throw new Error('expected a RunnerError');
}

describe('parseRunRequest', () => {
  test('accepts a full request', () => {
    expect(parseRunRequest({ language: 'typescript', code: 'x', session: 's1', stdin: 'in', timeoutMs: 20_000 }, limits)).toEqual({ language: 'typescript', code: 'x', session: 's1', stdin: 'in', timeoutMs: 20_000 });
  });
  test.each([
    [null, 400, /JSON object/],
    ['text', 400, /JSON object/],
    [{ code: 'x' }, 400, /language is missing; use one of: python/],
    [{ language: 'ruby', code: 'x' }, 400, /Unknown language "ruby"; use one of: python, javascript, typescript/],
    [{ language: 'python' }, 400, /code is missing/],
    [{ language: 'python', code: ['x'] }, 400, /code must be a string/],
    [{ language: 'python', code: 'x', session: 1 }, 400, /session must be a string/],
    [{ language: 'python', code: 'x', stdin: false }, 400, /stdin must be a string/],
    [{ language: 'python', code: 'x', timeoutMs: -1 }, 400, /timeoutMs must be positive/],
    [{ language: 'python', code: 'x', timeoutMs: 1.5 }, 400, /whole number/],
    [{ language: 'python', code: 'é'.repeat(40_000) }, 413, /code is 80000 bytes; the limit is 65536/],
  ])('%j → %d', (body, status, message) => {
    const error = errorOf(() => parseRunRequest(body, limits));
    expect(error.status).toBe(status);
    expect(error.message).toMatch(message);
  });
});

describe('parseStdinRequest', () => {
  test.each([[{ data: 'line\n' }], [{ eof: true }]])('accepts %j', (body) => {
    expect(parseStdinRequest(body, limits)).toEqual(body);
  });
  test.each([[{}], [{ data: 1 }], [{ eof: false }], [{ data: 'x', extra: 1 }]])('refuses %j naming both forms', (body) => {
    const error = errorOf(() => parseStdinRequest(body, limits));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/"data"|eof|data/);
  });
});

test('parseJson names the syntax problem', () => {
  const error = errorOf(() => parseJson('{"a":'));
  expect(error.code).toBe('invalid-json');
  expect(error.message).toMatch(/not valid JSON/);
});
