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

/** One packet on a session's loopback, as `GET /api/sessions/:id/wire` reports it. */
export interface WirePacket {
  /** 1, 2, 3, ... per session. */
  seq: number;
  /** Milliseconds since the session was created for its reader. */
  t: number;
  proto: 'tcp' | 'udp' | 'icmp';
  /** `127.0.0.1:40000`, `[::1]:9999`; no port for ICMP. */
  src: string;
  dst: string;
  /** TCP flags (`SYN`, `ACK`, `PSH`, `FIN`, `RST`, `URG`, `ECE`, `CWR`); empty otherwise. */
  flags: string[];
  tcpSeq: number | null;
  tcpAck: number | null;
  window: number | null;
  /** Payload bytes on the wire. */
  len: number;
  /** The first (up to 64) payload bytes, base64. */
  data: string;
  /** The run whose process owned the sending socket, or null when that cannot be known. */
  run: string | null;
  /** ICMP only: what the message says (`destination unreachable (port)`, `echo request`). */
  icmp?: string;
}

/** Body of `GET /api/sessions/:id/wire`. */
export interface WireBody {
  packets: WirePacket[];
  /** Pass as `since` next time. */
  next: number;
  /** This session's packets lost so far (overwritten in the ring or missed by the capture). */
  dropped: number;
}

/** One socket of a session, as `GET /api/sessions/:id/sockets` reports it. */
export interface SocketEntry {
  proto: 'tcp' | 'udp';
  /** `LISTEN`, `ESTABLISHED`, `TIME_WAIT`, ...; `UNCONN` for an unconnected UDP socket. */
  state: string;
  local: string;
  /** `*:*` when there is none. */
  peer: string;
  /** Bytes waiting to be read (for LISTEN: connections waiting in the accept queue). */
  recvQ: number;
  /** Bytes not yet acknowledged (for LISTEN: the backlog). */
  sendQ: number;
  run: string | null;
}

/** Body of `GET /api/sessions/:id/sockets`. */
export interface SocketsBody {
  sockets: SocketEntry[];
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
