/**
 * Test projects. `npx vitest run` runs them all; `--project <name>` picks one.
 * - unit: fast tests with no server (tests/unit, tests/runner/unit and the site's build helpers);
 * - runner: the runner's integration and exploit suites, against real bubblewrap, one file at a time;
 * - content: every published cell through the real runner;
 * - e2e: the built site (dist/) in Chromium with the real runner, one file at a time;
 * - cgroup2: each limit on a cgroup-v2-only kernel, and the runner's whole integration and exploit
 *   suites; only inside the VM (`npm run test:cgroup2`, scripts/cgroup2-vm/suite.sh), where time
 *   allowances grow with tests/time-allowance.ts.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One file at a time across all projects: the exploit suite's bombs and floods would
    // otherwise share the two cores with the browser and content tests, whose waits (and the
    // exploit suite's "health answers within 500 ms") are about time.
    maxWorkers: 1,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/runner/integration/**', 'tests/runner/exploits/**', 'tests/kit/runner/**', 'tests/content/**', 'tests/e2e/**', 'tests/cgroup2/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'runner',
          include: ['tests/runner/integration/**/*.test.ts', 'tests/runner/exploits/**/*.test.ts', 'tests/kit/runner/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'content',
          include: ['tests/content/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          // Building the site (when dist/ is missing) and starting Chromium take a while.
          testTimeout: 60_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'cgroup2',
          // The integration and exploit suites run on both: the host's v1 (project runner) and here.
          include: ['tests/cgroup2/**/*.test.ts', 'tests/runner/integration/**/*.test.ts', 'tests/runner/exploits/**/*.test.ts'],
          // Inside the VM (software emulation) Node runs 30-40x slower than on the host.
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
