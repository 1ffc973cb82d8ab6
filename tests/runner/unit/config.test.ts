import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, resolveRunLimits } from '../../../sandbox-runner/config.ts';

describe('loadConfig', () => {
  test('defaults match the design', () => {
    const { limits } = loadConfig({}, {});
    expect(limits).toMatchObject({ wallTimeMs: 10_000, maxWallTimeMs: 300_000, memoryBytes: 512 * 1024 ** 2, maxProcesses: 1024, stopGraceMs: 2000, maxOutputBytes: 1024 ** 2, maxFileBytes: 16 * 1024 ** 2, sessionDirBytes: 64 * 1024 ** 2, maxCodeBytes: 64 * 1024, maxStdinBytes: 1024 ** 2, sessionIdleMs: 600_000, sessionLifetimeMs: 3_600_000, maxRunsPerSession: 4 });
  });

  test('environment variables change the defaults; overrides win', () => {
    const config = loadConfig({ limits: { maxProcesses: 64 } }, { RUNNER_WALL_TIME_MS: '5000', RUNNER_MAX_PROCESSES: '256', RUNNER_SPARE_SANDBOXES: '0' });
    expect(config.limits.wallTimeMs).toBe(5000);
    expect(config.limits.maxProcesses).toBe(64);
    expect(config.spareSandboxesPerSession).toBe(0);
  });

  test('the result is frozen', () => {
    const config = loadConfig({}, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  test('one error names every invalid setting', () => {
    let error: unknown;
    try {
      loadConfig({ limits: { memoryBytes: 10 } }, { RUNNER_WALL_TIME_MS: 'soon', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/limits\.wallTimeMs/);
    expect(message).toMatch(/limits\.memoryBytes/);
    expect(message).toMatch(/logLevel/);
    expect(message).toMatch(/RUNNER_/);
  });

  test('a default wall time above the maximum is refused', () => {
    expect(() => loadConfig({ limits: { wallTimeMs: 20_000, maxWallTimeMs: 15_000 } }, {})).toThrow(/exceeds limits\.maxWallTimeMs/);
  });
});

describe('resolveRunLimits', () => {
  const { limits } = loadConfig({}, {});
  test.each([
    [{}, { wallTimeMs: 10_000, maxWallTimeMs: 300_000, maxOutputBytes: 1024 ** 2 }],
    [{ timeoutMs: 500 }, { wallTimeMs: 500, maxWallTimeMs: 300_000, maxOutputBytes: 1024 ** 2 }],
    [{ timeoutMs: 120_000 }, { wallTimeMs: 120_000, maxWallTimeMs: 300_000, maxOutputBytes: 1024 ** 2 }],
    [{ timeoutMs: 300_000 }, { wallTimeMs: 300_000, maxWallTimeMs: 300_000, maxOutputBytes: 1024 ** 2 }],
  ])('%j → %j', (request, expected) => {
    expect(resolveRunLimits(limits, request)).toEqual(expected);
  });
  test('above the maximum is an error naming the maximum', () => {
    expect(resolveRunLimits(limits, { timeoutMs: 300_001 })).toEqual({ error: expect.stringMatching(/300000 ms/) });
  });
});
