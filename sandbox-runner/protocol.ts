/**
 * The runner's v1 wire protocol, shared by the runner and the browser client so that a renamed
 * event fails to compile instead of being silently dropped. Plain types only: no runtime code,
 * no Node imports, safe to import from browser bundles.
 */

/** Languages a cell may be written in. */
export const LANGUAGES = ['python', 'javascript', 'typescript'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Why a run ended. */
export const EXIT_REASONS = [
  'exit',
  'timeout',
  'output-limit',
  'memory-limit',
  'stopped',
  'session-ended',
  'error',
] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

/** Body of `POST /api/run`. */
export interface RunRequest {
  language: Language;
  code: string;
  session?: string;
  /** Given up front: written, then closed. Absent: stdin stays open for interactive input. */
  stdin?: string;
  timeoutMs?: number;
  /** The program's command-line arguments (at most 64, 4 KiB in all), passed as they are. */
  args?: string[];
  /** Extra files beside the program, by relative name (modules it imports, data it opens). */
  files?: Record<string, string>;
}

export interface StartEvent {
  type: 'start';
  run: string;
  session: string;
}
export interface OutputEvent {
  type: 'stdout' | 'stderr';
  data: string;
}
export interface ExitEvent {
  type: 'exit';
  code: number | null;
  signal: string | null;
  reason: ExitReason;
  durationMs: number;
}
/** One NDJSON line of a `POST /api/run` response. */
export type RunEvent = StartEvent | OutputEvent | ExitEvent;

/** Body of `POST /api/runs/:id/stdin`. */
export type StdinRequest = { data: string } | { eof: true };

/** Body of every error response sent before a run starts. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface HealthBody {
  ok: boolean;
  /** The name of the runner that answered (also in every answer's `X-Runner` header). */
  runner: string;
  languages: Language[];
  sandbox: string;
  /** The cgroup version the sandbox uses (`v2` on current hosts), or null without a sandbox. */
  cgroup: 'v1' | 'v2' | null;
  /** Where previews are served (their own origin, e.g. `http://127.0.0.1:4322`); null: no previews. */
  previewOrigin: string | null;
}

/** `GET /api/ready`: 200 when the runner takes new sessions, 503 (with `reason`) while it drains or has no sandbox. */
export interface ReadyBody {
  ready: boolean;
  runner: string;
  reason?: string;
}

/** `GET /api/live`: 200 while the process answers at all. */
export interface LiveBody {
  live: true;
  runner: string;
}
