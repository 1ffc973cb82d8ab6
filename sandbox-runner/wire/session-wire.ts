/**
 * One session's wire: the packets its loopback carries (numbered, kept as frames in a bounded
 * ring and parsed when read), each attributed to the run whose process owned the sending socket,
 * followers told of each new packet, and the session's sockets now. Fed by the runner's capture
 * (capture.ts); read by the HTTP layer through the SessionWire interface of sandbox/backend.ts.
 *
 * Attribution is lazy and off the runs' path: the first packet of a flow triggers one scan of
 * the session's socket tables and its runs' fds (socket-table.ts); later packets of the flow hit
 * a cache. A flow whose process is gone before the scan (a client that connects, sends and
 * exits) is attributed by elimination: the one run alive at the packet's time that does not own
 * the other end. Otherwise `run` is null.
 */
import type { SocketEntry } from '../protocol.ts';
import type { CapturedPacket, SessionWire, WireFollower } from '../sandbox/backend.ts';
import { parseFrame, peekFlow, type FlowPeek, type ParsedPacket } from './packet.ts';
import { FrameRing, type StoredFrame } from './ring.ts';
import { readSocketTables, socketInodesOf, type KernelSocket } from './socket-table.ts';

export interface WireOptions {
  /** Packets kept per session. */
  capacity: number;
  /** Follow streams at once per session. */
  maxFollowers: number;
}

export const DEFAULT_WIRE_OPTIONS: WireOptions = { capacity: 2000, maxFollowers: 8 };

/** Where the wire looks for sockets and their owners. */
export interface WireSource {
  /** A host pid inside the session's network namespace (its sandbox), or null when none is. */
  netnsPid(): Promise<number | null>;
}

interface TrackedRun {
  id: string;
  pids(): Promise<number[]>;
  startedAt: number;
  endedAt: number | null;
}

/** Runs remembered after their end, for attributing late packets by time. */
const ENDED_RUNS_KEPT = 32;
/** Flows remembered; beyond, the oldest are forgotten (and looked up again if they reappear). */
const FLOWS_KEPT = 4096;
/** A flow no owner was found for is looked up again after this long. */
const UNKNOWN_RETRY_MS = 500;

export class TooManyFollowersError extends Error {
  override name = 'TooManyFollowersError';
}

export class CapturedSessionWire implements SessionWire {
  private readonly ring: FrameRing;
  private readonly followers = new Set<WireFollower>();
  private readonly runs: TrackedRun[] = [];
  private readonly flows = new Map<string, { run: string | null; until: number }>();
  /** Packets waiting for a scan, in capture order (later packets queue behind them). */
  private waiting: Array<{ frame: Buffer; peek: FlowPeek; at: number }> = [];
  private scanning = false;
  private ended = false;
  private readonly source: WireSource;
  private readonly options: WireOptions;

  constructor(source: WireSource, options: WireOptions = DEFAULT_WIRE_OPTIONS) {
    this.source = source;
    this.options = options;
    this.ring = new FrameRing(options.capacity);
  }

  // ---- fed by the backend ----

  /** A frame from the capture (kept as it is: packets are parsed when a reader asks for them). */
  ingest(at: number, frame: Buffer): void {
    if (this.ended) return;
    const peek = peekFlow(frame);
    if (!peek) return;
    if (this.waiting.length === 0) {
      const known = this.cachedOwner(peek, at);
      if (known !== undefined) return this.keep(frame, at, known);
    }
    if (this.waiting.length >= this.options.capacity) {
      this.ring.dropped++;
      return;
    }
    this.waiting.push({ frame: Buffer.from(frame), peek, at });
    void this.scan();
  }

  /** Packets the capture missed (kernel buffer full, or the capture restarting). */
  missed(count: number): void {
    this.ring.dropped += count;
  }

  runStarted(id: string, pids: () => Promise<number[]>): void {
    this.runs.push({ id, pids, startedAt: Date.now(), endedAt: null });
  }

  runEnded(id: string): void {
    const run = this.runs.find((candidate) => candidate.id === id && candidate.endedAt === null);
    if (run) run.endedAt = Date.now();
    const ended = this.runs.filter((candidate) => candidate.endedAt !== null);
    if (ended.length > ENDED_RUNS_KEPT) this.runs.splice(this.runs.indexOf(ended[0]), 1);
  }

  /** The session ended: follow streams end. */
  end(): void {
    this.ended = true;
    this.waiting = [];
    for (const follower of this.followers) follower.end();
    this.followers.clear();
  }

  // ---- read by the API ----

  packets(since = 0): { packets: CapturedPacket[]; next: number; dropped: number } {
    return { packets: this.ring.since(since).map(toCaptured), next: this.ring.last, dropped: this.ring.dropped };
  }

  follow(since: number, follower: WireFollower): () => void {
    if (this.ended) {
      follower.end();
      return () => {};
    }
    if (this.followers.size >= this.options.maxFollowers) throw new TooManyFollowersError(`${this.options.maxFollowers} follow streams`);
    for (const stored of this.ring.since(since)) follower.packet(toCaptured(stored));
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  async sockets(): Promise<SocketEntry[]> {
    const { sockets, owners } = await this.lookUp();
    return sockets.map(({ inode, ...socket }) => ({ ...socket, run: owners.get(inode) ?? null }));
  }

  // ---- attribution ----

  private keep(frame: Buffer, at: number, run: string | null): void {
    const seq = this.ring.push(at, run, frame);
    if (this.followers.size === 0) return;
    const packet = toCaptured({ seq, at, run, frame });
    for (const follower of this.followers) follower.packet(packet);
  }

  private cachedOwner(peek: FlowPeek, at: number): string | null | undefined {
    // A new connection from an endpoint used before is another socket: look it up again.
    if (peek.opening) {
      this.flows.delete(peek.flow);
      return undefined;
    }
    const flow = this.flows.get(peek.flow);
    if (!flow || (flow.run === null && at > flow.until)) return undefined;
    return flow.run;
  }

  private remember(key: string, run: string | null, at: number): void {
    this.flows.delete(key);
    this.flows.set(key, { run, until: run === null ? at + UNKNOWN_RETRY_MS : Infinity });
    if (this.flows.size > FLOWS_KEPT) this.flows.delete(this.flows.keys().next().value!);
  }

  private async lookUp(): Promise<{ sockets: KernelSocket[]; owners: Map<number, string> }> {
    const pid = await this.source.netnsPid();
    if (pid === null) return { sockets: [], owners: new Map() };
    const sockets = await readSocketTables(pid);
    const owners = new Map<number, string>();
    await Promise.all(this.runs.filter((run) => run.endedAt === null).map(async (run) => {
      for (const inode of await socketInodesOf(await run.pids().catch(() => []))) owners.set(inode, run.id);
    }));
    return { sockets, owners };
  }

  /** One scan at a time; each settles every packet that waited for it, in order. */
  private async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      while (this.waiting.length > 0 && !this.ended) {
        const batch = this.waiting.length;
        const { sockets, owners } = await this.lookUp().catch(() => ({ sockets: [] as KernelSocket[], owners: new Map<number, string>() }));
        for (const { frame, peek, at } of this.waiting.splice(0, batch)) {
          let run = this.cachedOwner(peek, at);
          if (run === undefined) {
            const packet = parseFrame(frame)!;
            const otherEnd = ownerOf(packet.proto, packet.dst, packet.src, sockets, owners);
            run = ownerOf(packet.proto, packet.src, packet.dst, sockets, owners) ?? this.byElimination(peek, at, otherEnd);
            this.remember(peek.flow, run, at);
            // The answers of the other end need no scan of their own.
            if (otherEnd !== undefined && !this.flows.has(peek.reverse)) this.remember(peek.reverse, otherEnd, at);
          }
          this.keep(frame, at, run);
        }
      }
    } finally {
      this.scanning = false;
    }
  }

  /** The one run alive when the packet was sent that is not the other end's owner (found now or known). */
  private byElimination(peek: FlowPeek, at: number, otherEndNow: string | undefined): string | null {
    const alive = this.runs.filter((run) => run.startedAt <= at && (run.endedAt === null || run.endedAt >= at));
    const otherEnd = otherEndNow ?? this.flows.get(peek.reverse)?.run ?? null;
    const candidates = alive.length > 1 && otherEnd !== null ? alive.filter((run) => run.id !== otherEnd) : alive;
    return candidates.length === 1 ? candidates[0].id : null;
  }
}

/** A kept packet as the API gives it (parsed now: the ring keeps frames). */
function toCaptured({ seq, at, run, frame }: StoredFrame): CapturedPacket {
  const { data, ...packet } = parseFrame(frame)!;
  return { seq, ...packet, data: data.toString('base64'), run, at };
}

/**
 * The run holding the socket at `local` that talks to `peer`: the connected socket, else one
 * bound to `local` alone (a listener, an unconnected UDP socket), else one bound to the wildcard
 * address on that port. Undefined when no held socket matches.
 */
function ownerOf(proto: ParsedPacket['proto'], local: string, peer: string, sockets: KernelSocket[], owners: Map<number, string>): string | undefined {
  if (proto === 'icmp') return undefined;
  const port = local.slice(local.lastIndexOf(':'));
  const wildcards = new Set([`0.0.0.0${port}`, `[::]${port}`]);
  const matches = [
    (socket: KernelSocket) => socket.local === local && socket.peer === peer,
    (socket: KernelSocket) => socket.local === local && socket.peer === '*:*',
    (socket: KernelSocket) => wildcards.has(socket.local) && (socket.peer === '*:*' || socket.peer === peer),
  ];
  for (const match of matches) {
    for (const socket of sockets) {
      if (socket.proto !== proto || socket.inode === 0 || !match(socket)) continue;
      const run = owners.get(socket.inode);
      if (run) return run;
    }
  }
  return undefined;
}
