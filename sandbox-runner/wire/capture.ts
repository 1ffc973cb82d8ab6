/**
 * The runner's side of the packet capture: one helper process for every session (see
 * capture-helper.py), told which network namespaces to watch, whose framed records are routed
 * to each session's listener. If the helper dies it is started again and every open capture
 * re-opened (the packets in between are lost, and cannot be counted).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnCaptureHelper } from '../sandbox/processes.ts';

/** What the helper reports for one session. */
export interface CaptureListener {
  /** A packet: capture time (epoch ms), its length as captured (at most 256), its first bytes. */
  packet(at: number, wireLength: number, frame: Buffer): void;
  /** Packets the kernel dropped before the helper read them (the socket buffer was full). */
  dropped(count: number): void;
  /** The capture could not start or stopped. */
  failed(message: string): void;
}

export interface CaptureHandle {
  close(): void;
}

const HEADER_BYTES = 9;
const KIND_PACKET = 1;
const KIND_DROPS = 2;
const KIND_ERROR = 3;
const HELPER_PATH = fileURLToPath(new URL('./capture-helper.py', import.meta.url));

export class PacketCapture {
  private helper: ChildProcess | null = null;
  private readonly open = new Map<number, { netnsPath: string; listener: CaptureListener }>();
  private nextKey = 1;
  private pending = Buffer.alloc(0);
  private closed = false;
  private readonly pythonPath: string;
  private readonly onProblem: (message: string) => void;

  constructor(options: { pythonPath: string; onProblem?: (message: string) => void }) {
    this.pythonPath = options.pythonPath;
    this.onProblem = options.onProblem ?? (() => {});
  }

  /** Starts capturing the loopback of the network namespace at netnsPath (held open by the caller). */
  watch(netnsPath: string, listener: CaptureListener): CaptureHandle {
    if (this.closed) throw new Error('the packet capture has been closed');
    const key = this.nextKey++;
    this.open.set(key, { netnsPath, listener });
    this.send(`open ${key} ${netnsPath}\n`);
    return {
      close: () => {
        if (this.open.delete(key)) this.send(`close ${key}\n`);
      },
    };
  }

  close(): void {
    this.closed = true;
    this.open.clear();
    this.helper?.kill('SIGKILL');
    this.helper = null;
  }

  private send(line: string): void {
    const helper = this.helper ?? this.start();
    helper.stdin!.write(line);
  }

  private start(): ChildProcess {
    const helper = spawnCaptureHelper({ pythonPath: this.pythonPath, scriptPath: HELPER_PATH });
    this.helper = helper;
    this.pending = Buffer.alloc(0);
    let stderr = '';
    helper.stdin!.on('error', () => {});
    helper.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    helper.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
    helper.on('exit', (code, signal) => {
      if (this.helper !== helper) return;
      this.helper = null;
      if (this.closed) return;
      this.onProblem(`the packet capture helper exited (${signal ?? code}): ${stderr.trim()}`);
      for (const { listener } of this.open.values()) listener.failed('the capture restarted; packets in between were missed');
      if (this.open.size === 0) return;
      // Start again, once, after a moment: a helper that cannot run must not spin.
      setTimeout(() => {
        if (this.closed || this.helper) return;
        for (const [key, { netnsPath }] of this.open) this.send(`open ${key} ${netnsPath}\n`);
      }, 1_000).unref();
    });
    return helper;
  }

  private receive(chunk: Buffer): void {
    let buffer = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= HEADER_BYTES) {
      const length = buffer.readUInt32BE(offset);
      if (buffer.length - offset < HEADER_BYTES + length) break;
      const kind = buffer[offset + 4];
      const key = buffer.readUInt32BE(offset + 5);
      const body = buffer.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
      offset += HEADER_BYTES + length;
      const listener = this.open.get(key)?.listener;
      if (!listener) continue;
      if (kind === KIND_PACKET && body.length >= 12) listener.packet(body.readDoubleBE(0) * 1000, body.readUInt32BE(8), body.subarray(12));
      else if (kind === KIND_DROPS && body.length >= 4) listener.dropped(body.readUInt32BE(0));
      else if (kind === KIND_ERROR) listener.failed(body.toString('utf8'));
    }
    this.pending = Buffer.from(buffer.subarray(offset));
  }
}
