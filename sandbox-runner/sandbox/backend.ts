/**
 * The sandbox as the sessions layer sees it: a backend makes session environments, a session
 * environment prepares runs, a prepared run is launched into a run handle. FIFOs, nonces, end
 * markers, cgroups and processes stay behind this interface; the bubblewrap backend is the real
 * one, `fake-backend.ts` a quick in-process one for lifecycle tests.
 */
import type { Duplex } from 'node:stream';
import type { LanguageVariant } from '../languages.ts';
import type { SocketEntry, WirePacket } from '../protocol.ts';

export interface BackendDescription {
  /** `bubblewrap` (the real sandbox) or `fake`. */
  name: string;
  /** The cgroup version in use, or null for a backend without cgroups. */
  cgroup: 'v1' | 'v2' | null;
}

/** How a run's program ended, as the sandbox saw it. */
export interface RunExit {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The kernel's OOM killer acted in this run. */
  oomKilled: boolean;
}

export type OutputStream = 'stdout' | 'stderr';

/** What a run executes. */
export interface RunProgram {
  variant: LanguageVariant;
  code: string;
  /** Command-line arguments after the program file, passed as they are. */
  args?: readonly string[];
  /** Extra files (relative name → content) written to the working directory before it starts. */
  files?: Readonly<Record<string, string>>;
}

/** A launched run: its output, its input, its end, and ways to end it. */
export interface RunHandle {
  /** Receives output chunks in order per stream, until `exited` resolves. */
  onOutput(listener: (stream: OutputStream, data: Buffer) => void): void;
  /** Slows the program down by not reading its output (it blocks once pipe buffers fill). */
  pauseOutput(): void;
  resumeOutput(): void;
  /** Queues input for the program; rejects when too much is already waiting unread. */
  writeStdin(data: string): Promise<void>;
  closeStdin(): void;
  /** Ctrl-C: SIGINT to every process of the run, with their own handlers (default or not). */
  interrupt(): Promise<void>;
  /** Ends every process of the run at once. `exited` then resolves, whatever its output's state. */
  kill(): Promise<void>;
  /** Resolves when the program has ended and its output was delivered (or dropped by `kill`). */
  readonly exited: Promise<RunExit>;
  /** Removes what the run left (after `exited`); idempotent. */
  dispose(): Promise<void>;
}

/** A run set up ahead of its code, so that a request only pays for the program itself. */
export interface PreparedRun {
  readonly id: string;
  /** True when the environment it was prepared in has changed since (take another). */
  isStale(): boolean;
  launch(program: RunProgram): Promise<RunHandle>;
  /** Drops the run unused. */
  dispose(): Promise<void>;
}

/** One reader's private world: network, files, budget. */
export interface SessionEnvironment {
  readonly id: string;
  prepareRun(): Promise<PreparedRun>;
  /** A byte stream to 127.0.0.1:port (or [::1]:port) inside the session's own network. */
  openPreviewConnection(port: number): Duplex;
  /** The packets on the session's loopback and its sockets (see wire/); null when capture is off. */
  readonly wire: SessionWire | null;
  /** Kills everything of the session and removes it; idempotent. */
  dispose(): Promise<void>;
}

/** A captured packet as kept: `at` is its capture time (epoch ms); the API turns it into `t`. */
export type CapturedPacket = Omit<WirePacket, 't'> & { at: number };

export interface WireFollower {
  packet(packet: CapturedPacket): void;
  /** The session ended: no more packets will come. */
  end(): void;
}

/** A session's wire, as the HTTP layer reads it. */
export interface SessionWire {
  /** Kept packets with seq greater than `since`, oldest first; `next` to pass as `since` next time. */
  packets(since?: number): { packets: CapturedPacket[]; next: number; dropped: number };
  /** Those after `since`, then each new one, until the session ends; returns the unsubscribe. Throws when the session has too many followers. */
  follow(since: number, follower: WireFollower): () => void;
  /** The session's TCP and UDP sockets now. */
  sockets(): Promise<SocketEntry[]>;
}

/** What every session of a backend uses together, from its cgroups. */
export interface SandboxUsage {
  memoryBytes: number;
  cpuSeconds: number | null;
}

export interface SandboxBackend {
  readonly description: BackendDescription;
  /** Memory and CPU of all sessions together (read-only, for metrics); absent without cgroups. */
  usage?(): Promise<SandboxUsage>;
  createSession(): Promise<SessionEnvironment>;
  /** Removes everything the backend made (after every session ended). */
  close(): Promise<void>;
}
