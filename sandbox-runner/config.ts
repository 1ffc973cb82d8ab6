/**
 * Runner configuration: limits and operator settings. Plain data with one zod schema; parsed
 * once at start-up (from defaults, the environment and overrides), then frozen. Invalid values
 * fail start-up with one readable error naming every problem.
 */
import { z } from 'zod';

const KiB = 1024;
const MiB = 1024 * KiB;

export const limitsSchema = z.object({
  /** Default wall time of a run. */
  wallTimeMs: z.number().int().positive().default(10_000),
  /** Longest wall time a request may ask for (server cells). */
  maxWallTimeMs: z.number().int().positive().default(300_000),
  /** Memory of one session, its tmpfs files included. */
  memoryBytes: z.number().int().min(16 * MiB).default(512 * MiB),
  /**
   * Tasks (processes + threads) of one session: enough for a thread-per-connection server with
   * several hundred clients (Node alone uses ~11 threads a process); memory is the real guard.
   */
  maxProcesses: z.number().int().min(16).default(1024),
  /** Memory of all sessions together; default: the machine's memory less a quarter (≥ 1 GiB) for the host. */
  totalMemoryBytes: z.number().int().min(64 * MiB).optional(),
  /** Tasks of all sessions together; default: half of the kernel's pid space. */
  maxTasksTotal: z.number().int().min(64).optional(),
  /** How long a stopped program has between SIGINT (Ctrl-C) and SIGKILL. */
  stopGraceMs: z.number().int().min(0).default(2_000),
  /** stdout + stderr of one run, in bytes. */
  maxOutputBytes: z.number().int().positive().default(1 * MiB),
  /** Largest file a run may write. */
  maxFileBytes: z.number().int().positive().default(16 * MiB),
  /** Size of the session directory (a tmpfs). */
  sessionDirBytes: z.number().int().positive().default(64 * MiB),
  /** Size of each run's private /tmp and /dev/shm. */
  runTmpBytes: z.number().int().positive().default(16 * MiB),
  /** Largest `code` in a run request, in bytes. */
  maxCodeBytes: z.number().int().positive().default(64 * KiB),
  /** Largest `stdin` (up front, or in one stdin request), in bytes. */
  maxStdinBytes: z.number().int().positive().default(1 * MiB),
  /** A session with no request for this long ends. */
  sessionIdleMs: z.number().int().positive().default(10 * 60_000),
  /** A session ends this long after it started, whatever it does. */
  sessionLifetimeMs: z.number().int().positive().default(60 * 60_000),
  /** Runs at once in one session; beyond: 429. */
  maxRunsPerSession: z.number().int().positive().default(4),
  /**
   * Runs at once in the whole runner; beyond: 429. A server waiting in accept() costs nothing but
   * its memory, and memory, tasks and CPU are bounded by the cgroups (per session and
   * runner-wide), so this is a backstop, not what limits readers: 64 let 64 idle servers lock
   * every other reader out.
   */
  maxRunsTotal: z.number().int().positive().default(2_000),
  /** Live sessions at once (each holds a uid, a network namespace and a tmpfs); beyond: 429. */
  maxSessions: z.number().int().positive().default(500),
  /** Packets kept per session for the wire view; older ones are overwritten (and counted as dropped). */
  wirePacketsPerSession: z.number().int().min(16).default(2_000),
});
export type Limits = z.infer<typeof limitsSchema>;

// HTTP layer: what the runner's listeners accept from a (possibly hostile) reader.
export const httpSchema = z.object({
  /**
   * Origin previews are served from, as readers reach it (e.g. `https://preview.example`).
   * Unset: the site's host name on the preview listener's port (PREVIEW_PORT).
   */
  previewOrigin: z.url({ protocol: /^https?$/, error: 'previewOrigin must be an http(s) URL such as https://preview.example' }).transform((value) => new URL(value).origin).optional(),
  /** Host names (besides IP addresses, `localhost` and the listening host) the API answers to; others get 403 (DNS rebinding). */
  allowedHosts: z.array(z.string().min(1)).default([]),
  /** Take the client's address from `X-Forwarded-For` (only behind a router that sets it). */
  trustProxy: z.boolean().default(false),
  /** Live sessions one client address may hold; beyond: 429. */
  maxSessionsPerClient: z.number().int().positive().default(32),
  /** Runs at once for one client address; beyond: 429. */
  maxRunsPerClient: z.number().int().positive().default(16),
  /** Open connections from one client address to one listener; beyond, new ones are refused (not applied with trustProxy: the router's job). */
  maxConnectionsPerClient: z.number().int().positive().default(128),
  /** Preview requests in flight for one session (each holds a relay in the session); beyond: 429. */
  maxPreviewConnectionsPerSession: z.number().int().positive().default(8),
  /** Time to receive a request's headers. */
  headersTimeoutMs: z.number().int().positive().default(10_000),
  /** Time to receive a whole request, body included (never cuts a long response such as a run's stream). */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** A preview whose server sends nothing for this long ends (502 before its headers). */
  previewIdleTimeoutMs: z.number().int().positive().default(10_000),
});
export type HttpSettings = z.infer<typeof httpSchema>;

export const runnerConfigSchema = z.object({
  limits: limitsSchema.default(limitsSchema.parse({})),
  // HTTP layer
  http: httpSchema.default(httpSchema.parse({})),
  /** Root-owned directory for session mounts, code files and generated /etc files. */
  stateDir: z.string().default('/run/socket-workbook'),
  /**
   * Where cgroups are mounted (v2's unified hierarchy or v1's per-controller folders, detected at
   * start-up) and the group under which sessions are created (below the runner's own group on v2).
   */
  cgroupRoot: z.string().default('/sys/fs/cgroup'),
  cgroupName: z.string().regex(/^[\w.-]+$/).default('socket-workbook'),
  /** First host uid handed to sessions; each live session gets its own. */
  firstSessionUid: z.number().int().min(1000).default(200_000),
  /** Sessions prepared ahead so that a run without a session starts at once. */
  spareSessions: z.number().int().min(0).max(16).default(2),
  /**
   * Runs kept prepared ahead per session (run directory, cgroup, the run's shell waiting), so a
   * run only pays for its interpreter; two let back-to-back runs find one ready while the next
   * is prepared. 0 prepares each run when it is asked for.
   */
  spareSandboxesPerSession: z.number().int().min(0).max(4).default(2),
  /** Interpreters, as host paths (Debian's python3 starts 3x faster than others here). */
  pythonPath: z.string().default('/usr/bin/python3'),
  /** Node.js binary for JavaScript/TypeScript cells; defaults to the runner's own Node. */
  nodePath: z.string().default(process.execPath),
  /**
   * This runner's name, carried by every session and run id it makes (`s<random>.<name>`), so a
   * router can send each request to the runner that holds it without reading bodies.
   */
  runnerName: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a runner name is 1-32 lowercase letters, digits and dashes, starting with a letter or digit').default('local'),
  /** Capture each session's loopback packets for the wire view (`RUNNER_WIRE=off` turns it off). */
  wire: z.boolean().default(true),
  /** On SIGTERM, how long live runs may go on before they are ended (reason `session-ended`) and the runner exits. */
  drainMs: z.number().int().min(0).default(60_000),
  /** Log level (pino). */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type RunnerConfig = z.infer<typeof runnerConfigSchema>;
export type RunnerConfigInput = z.input<typeof runnerConfigSchema>;

/** Environment variables an operator may set, mapped onto config paths. */
const ENVIRONMENT: Record<string, (config: Record<string, any>, value: string) => void> = {
  RUNNER_WALL_TIME_MS: (c, v) => ((c.limits ??= {}).wallTimeMs = Number(v)),
  RUNNER_MAX_WALL_TIME_MS: (c, v) => ((c.limits ??= {}).maxWallTimeMs = Number(v)),
  RUNNER_MEMORY_BYTES: (c, v) => ((c.limits ??= {}).memoryBytes = Number(v)),
  RUNNER_MAX_PROCESSES: (c, v) => ((c.limits ??= {}).maxProcesses = Number(v)),
  RUNNER_TOTAL_MEMORY_BYTES: (c, v) => ((c.limits ??= {}).totalMemoryBytes = Number(v)),
  RUNNER_MAX_TASKS_TOTAL: (c, v) => ((c.limits ??= {}).maxTasksTotal = Number(v)),
  RUNNER_STOP_GRACE_MS: (c, v) => ((c.limits ??= {}).stopGraceMs = Number(v)),
  RUNNER_MAX_OUTPUT_BYTES: (c, v) => ((c.limits ??= {}).maxOutputBytes = Number(v)),
  RUNNER_MAX_RUNS_TOTAL: (c, v) => ((c.limits ??= {}).maxRunsTotal = Number(v)),
  RUNNER_MAX_SESSIONS: (c, v) => ((c.limits ??= {}).maxSessions = Number(v)),
  RUNNER_SPARE_SESSIONS: (c, v) => (c.spareSessions = Number(v)),
  RUNNER_SPARE_SANDBOXES: (c, v) => (c.spareSandboxesPerSession = Number(v)),
  RUNNER_STATE_DIR: (c, v) => (c.stateDir = v),
  RUNNER_CGROUP_NAME: (c, v) => (c.cgroupName = v),
  RUNNER_PYTHON: (c, v) => (c.pythonPath = v),
  RUNNER_NODE: (c, v) => (c.nodePath = v),
  RUNNER_NAME: (c, v) => (c.runnerName = v),
  RUNNER_WIRE_PACKETS: (c, v) => ((c.limits ??= {}).wirePacketsPerSession = Number(v)),
  RUNNER_WIRE: (c, v) => (c.wire = v === 'on' || v === '1' ? true : v === 'off' || v === '0' ? false : v),
  RUNNER_DRAIN_MS: (c, v) => (c.drainMs = Number(v)),
  LOG_LEVEL: (c, v) => (c.logLevel = v),
  // HTTP layer
  RUNNER_PREVIEW_ORIGIN: (c, v) => ((c.http ??= {}).previewOrigin = v),
  RUNNER_ALLOWED_HOSTS: (c, v) => ((c.http ??= {}).allowedHosts = v.split(',').map((host) => host.trim()).filter(Boolean)),
  RUNNER_TRUST_PROXY: (c, v) => ((c.http ??= {}).trustProxy = v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : v),
  RUNNER_MAX_SESSIONS_PER_CLIENT: (c, v) => ((c.http ??= {}).maxSessionsPerClient = Number(v)),
  RUNNER_MAX_RUNS_PER_CLIENT: (c, v) => ((c.http ??= {}).maxRunsPerClient = Number(v)),
  RUNNER_MAX_CONNECTIONS_PER_CLIENT: (c, v) => ((c.http ??= {}).maxConnectionsPerClient = Number(v)),
  RUNNER_MAX_PREVIEW_CONNECTIONS: (c, v) => ((c.http ??= {}).maxPreviewConnectionsPerSession = Number(v)),
  RUNNER_HEADERS_TIMEOUT_MS: (c, v) => ((c.http ??= {}).headersTimeoutMs = Number(v)),
  RUNNER_REQUEST_TIMEOUT_MS: (c, v) => ((c.http ??= {}).requestTimeoutMs = Number(v)),
};

/** Thrown at start-up when configuration is invalid; the message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function mergeDeep(base: Record<string, any>, extra: Record<string, any>): Record<string, any> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    merged[key] = value && typeof value === 'object' && !Array.isArray(value) ? mergeDeep(base[key] ?? {}, value) : value;
  }
  return merged;
}

/** Parses configuration from the environment plus explicit overrides (overrides win). */
export function loadConfig(overrides: RunnerConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Readonly<RunnerConfig> {
  const fromEnv: Record<string, any> = {};
  for (const [name, apply] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== '') apply(fromEnv, value);
  }
  const parsed = runnerConfigSchema.safeParse(mergeDeep(fromEnv, overrides));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`Invalid runner configuration:\n${problems.join('\n')}\nFix these settings (environment variables RUNNER_* or the config object) and start again.`);
  }
  const config = parsed.data;
  if (config.limits.wallTimeMs > config.limits.maxWallTimeMs) {
    throw new ConfigError(`Invalid runner configuration:\n  - limits.wallTimeMs (${config.limits.wallTimeMs}) exceeds limits.maxWallTimeMs (${config.limits.maxWallTimeMs}).`);
  }
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    throw new ConfigError(`Invalid runner configuration:\n  - http.headersTimeoutMs (${config.http.headersTimeoutMs}) exceeds http.requestTimeoutMs (${config.http.requestTimeoutMs}): the headers are part of the request.`);
  }
  Object.freeze(config.limits);
  Object.freeze(config.http.allowedHosts);
  Object.freeze(config.http);
  return Object.freeze(config);
}

/** Limits a single run gets: the operator's, lowered (or, for time, raised) by the request. */
export interface RunLimits {
  /** Wall time, or for an interactive run (stdin not given up front) the longest idle time. */
  wallTimeMs: number;
  /** The longest an interactive run may last, however active. */
  maxWallTimeMs: number;
  maxOutputBytes: number;
}

/**
 * Resolves a run's limits: a request may only lower them, except the wall time, which it may
 * raise up to maxWallTimeMs (server cells). Returns an error message for a value out of range.
 */
export function resolveRunLimits(limits: Limits, request: { timeoutMs?: number }): RunLimits | { error: string } {
  const { timeoutMs } = request;
  if (timeoutMs !== undefined && timeoutMs > limits.maxWallTimeMs) {
    return { error: `timeoutMs is ${timeoutMs}; the most this runner allows is ${limits.maxWallTimeMs} ms. Ask for less.` };
  }
  return { wallTimeMs: timeoutMs ?? limits.wallTimeMs, maxWallTimeMs: limits.maxWallTimeMs, maxOutputBytes: limits.maxOutputBytes };
}
