/**
 * A session's sandbox: one bubblewrap sandbox per session, started once, with the zygote inside
 * (see launcher.ts). Runs are forked by the zygote inside the session's existing namespaces, so
 * a run costs a fork and an exec instead of a new sandbox (creating and tearing down namespaces
 * and mounts cost as much CPU as the interpreter start-up they wrapped). Restarted on the next
 * run if it dies (seccomp keeps the session's programs from signalling it, but it can still be
 * killed from outside).
 */
import type { SandboxProcess } from './processes.ts';

/**
 * How long a live zygote may take to report a run's pid. A dead one fails its waiters at once
 * (see `launch`); a slow one (a burst of new sessions on a loaded host, software emulation) is
 * worth waiting for: failing it would only turn a slow run into an error for the reader.
 */
const REPORT_TIMEOUT_MS = 20_000;

export class SessionSandbox {
  private current: SandboxProcess | null = null;
  private starting: Promise<SandboxProcess> | null = null;
  private readonly waiters = new Map<number, { resolve(pid: number): void; reject(error: Error): void }>();
  private readonly start: () => Promise<SandboxProcess>;
  private closed = false;

  /** `start` spawns the sandbox with the zygote as its command. */
  constructor(start: () => Promise<SandboxProcess>) {
    this.start = start;
  }

  /** The running sandbox, started (or restarted) as needed. */
  async running(): Promise<SandboxProcess> {
    if (this.closed) throw new Error('the session has ended');
    if (this.current && !this.current.hasExited()) return this.current;
    this.starting ??= this.launch().finally(() => (this.starting = null));
    return this.starting;
  }

  private async launch(): Promise<SandboxProcess> {
    const sandbox = await this.start();
    let buffer = '';
    sandbox.stdout.setEncoding('utf8');
    sandbox.stdout.on('data', (text: string) => {
      buffer += text;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const [seq, pid] = buffer.slice(0, newline).split(' ').map(Number);
        buffer = buffer.slice(newline + 1);
        const waiter = this.waiters.get(seq);
        this.waiters.delete(seq);
        waiter?.resolve(pid);
      }
    });
    sandbox.stderr.resume();
    void sandbox.exited.then(() => {
      for (const [seq, waiter] of this.waiters) {
        waiter.reject(new Error('the session sandbox ended before the run started'));
        this.waiters.delete(seq);
      }
    });
    this.current = sandbox;
    return sandbox;
  }

  /** Asks the zygote to start run `seq`'s shell; resolves with its pid inside the sandbox. */
  async startRun(seq: number): Promise<{ pid: number; sandbox: SandboxProcess }> {
    const sandbox = await this.running();
    const pid = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(seq);
        reject(new Error(`the session sandbox did not start run ${seq} within ${REPORT_TIMEOUT_MS} ms`));
      }, REPORT_TIMEOUT_MS);
      this.waiters.set(seq, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
    });
    sandbox.stdin.write(`${seq}\n`);
    return { pid: await pid, sandbox };
  }

  /** Ends the zygote (its stdin closes); the caller kills what is left by cgroup. */
  close(): void {
    this.closed = true;
    this.current?.stdin.end();
  }
}
