/**
 * The only module of the runner that starts operating-system processes: network namespaces,
 * session mounts, sandboxes and preview bridges. Everything it starts gets an empty environment
 * and `/` as working directory, so nothing of the runner's environment can leak inward.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { buildChainCommand, encodeArgs, type SandboxPlan, buildBwrapArgs } from './bwrap-args.ts';
import { buildSeccompFilter } from './seccomp.ts';

const SHELL = '/bin/sh';
const seccompFilter = buildSeccompFilter();

function run(command: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: {}, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${output.trim()}`))));
  });
}

/** How long a new network namespace may take to be set up (a loaded host, emulation). */
const NETNS_READY_MS = 30_000;

/**
 * Creates a network namespace with only `lo` (up, and ports below 1024 bindable by anyone) and
 * returns an open fd to it; the namespace lives as long as that fd, with no holder process.
 */
export async function createNetworkNamespace(): Promise<number> {
  // A broadcast route on lo, so that UDP to <broadcast> (255.255.255.255) reaches the session's
  // own listeners instead of failing with "Network is unreachable".
  // It starts on a first line of input, as a sandbox does: output written before its pipes have
  // reached the runner (they are passed over from the spawner) would be lost.
  const script = 'read _ && /usr/sbin/ip link set lo up && /usr/sbin/ip route add broadcast 255.255.255.255 dev lo table local src 127.0.0.1 && echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start && echo ready && read _';
  // Through the spawner, like the sandboxes: a fork of the runner itself would block its event
  // loop for every new session (see spawner-entry.ts). `unshare` execs the shell, so the pid is
  // the shell's, inside the new namespace.
  const helper = await spawner.spawn('/usr/bin/unshare', ['--net', '--', SHELL, '-c', script], []);
  let output = '';
  let timer: NodeJS.Timeout | undefined;
  try {
    helper.stderr.on('data', (chunk) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      helper.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('ready')) resolve();
      });
      void helper.exited.then(({ code, signal }) => reject(new Error(`network namespace helper exited (${code ?? signal}): ${output.trim()}`)));
      timer = setTimeout(() => reject(new Error(`network namespace helper did not get ready within ${NETNS_READY_MS} ms: ${output.trim()}`)), NETNS_READY_MS);
      helper.stdin.write('go\n');
    });
    return openSync(`/proc/${helper.pid}/ns/net`, 'r');
  } finally {
    clearTimeout(timer);
    // `read _` meets end of input and the helper exits; the namespace lives on in the fd.
    helper.stdin.end();
    helper.stdout.destroy();
    helper.stderr.destroy();
  }
}

/** Mounts a size-capped tmpfs owned by uid at dir (the session directory). */
export async function mountTmpfs(dir: string, uid: number, sizeBytes: number): Promise<void> {
  const args = ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700,uid=${uid},gid=${uid},nosuid,nodev`, 'tmpfs', dir];
  // Through the spawner (no fork of the runner); on failure, once more from here for the message.
  if ((await spawner.run('/usr/bin/mount', args)) !== 0) await run('/usr/bin/mount', args);
}

export async function unmount(dir: string): Promise<void> {
  await spawner.run('/usr/bin/umount', ['--lazy', dir]).catch(() => {});
}

/** Is there a mount at exactly this path? */
export async function listMountsUnder(prefix: string): Promise<string[]> {
  const text = await run('/usr/bin/findmnt', ['-rn', '-o', 'TARGET']).catch(() => '');
  return text.split('\n').filter((line) => line.startsWith(prefix + '/'));
}

export interface SandboxSpawnOptions {
  plan: SandboxPlan;
  /** cgroup.procs files the chain joins before it starts anything. */
  cgroupProcsFiles: string[];
  maxFileBytes: number;
}

/** A started sandbox as the runner sees it: its stdio and its end. */
export interface SandboxProcess {
  pid: number;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

type SpawnerMessage =
  | { id: number; kind: 'stdout'; pid: number }
  | { id: number; kind: 'stderr' | 'stdin' }
  | { id: number; kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; kind: 'error'; message: string };

interface PendingSpawn {
  pid?: number;
  handles: Partial<Record<'stdin' | 'stdout' | 'stderr', Socket>>;
  resolve(process: SandboxProcess): void;
  reject(error: Error): void;
  settleExit?: (result: { code: number | null; signal: NodeJS.Signals | null }) => void;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** The helper process that forks sandboxes off the runner's main thread (spawner-entry.ts). */
class Spawner {
  private helper: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, PendingSpawn>();

  private start(): ChildProcess {
    const helper = fork(new URL('./spawner-entry.ts', import.meta.url), [], {
      env: {},
      cwd: '/',
      execArgv: ['--disable-warning=ExperimentalWarning'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    helper.on('message', (message: SpawnerMessage, handle?: Socket) => this.receive(message, handle));
    helper.on('exit', () => {
      if (this.helper === helper) this.helper = null;
      for (const [id, entry] of this.pending) {
        entry.reject(new Error('the sandbox spawner exited'));
        entry.exit = { code: null, signal: 'SIGKILL' };
        entry.settleExit?.(entry.exit);
        this.pending.delete(id);
      }
    });
    // The helper alone must not keep the runner alive: the channel holds the event loop only
    // while sandboxes it started are alive (see track()).
    helper.unref();
    helper.channel?.unref();
    return helper;
  }

  /** Keeps the event loop alive exactly while some sandbox is pending or running. */
  private track(): void {
    if (this.pending.size > 0) this.helper?.channel?.ref();
    else this.helper?.channel?.unref();
  }

  private receive(message: SpawnerMessage, handle?: Socket): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.kind === 'error') {
      entry.reject(new Error(message.message));
      entry.settleExit?.({ code: null, signal: null });
      this.pending.delete(message.id);
      this.track();
      return;
    }
    if (message.kind === 'exit') {
      entry.exit = { code: message.code, signal: message.signal };
      entry.settleExit?.(entry.exit);
      this.pending.delete(message.id);
      this.track();
      return;
    }
    if (message.kind === 'stdout') entry.pid = message.pid;
    if (!handle) {
      entry.reject(new Error(`the sandbox's ${message.kind} did not arrive`));
      return;
    }
    entry.handles[message.kind] = handle;
    const { stdin, stdout, stderr } = entry.handles;
    if (stdin && stdout && stderr) {
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        if (entry.exit) resolve(entry.exit);
        else entry.settleExit = resolve;
      });
      stdin.on('error', () => {});
      entry.resolve({ pid: entry.pid ?? 0, stdin, stdout, stderr, exited, hasExited: () => entry.exit !== undefined });
    }
  }

  spawn(file: string, args: string[], extraFds: Buffer[]): Promise<SandboxProcess> {
    this.helper ??= this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { handles: {}, resolve, reject });
      this.track();
      this.helper!.send({ id, file, args, extraFds: extraFds.map((data) => data.toString('base64')) });
    });
  }

  /** A short command without stdio; resolves with its exit code. */
  run(file: string, args: string[]): Promise<number | null> {
    this.helper ??= this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { handles: {}, resolve: () => {}, reject, settleExit: ({ code }) => resolve(code) });
      this.track();
      this.helper!.send({ id, mode: 'run', file, args, extraFds: [] });
    });
  }
}

const spawner = new Spawner();

/**
 * Starts one sandbox: a root shell joins the run's cgroups and caps file size, then becomes
 * nsenter → setpriv → bwrap. bubblewrap reads its options and the seccomp filter from pipes.
 */
export function spawnSandbox({ plan, cgroupProcsFiles, maxFileBytes }: SandboxSpawnOptions): Promise<SandboxProcess> {
  const join = cgroupProcsFiles.map((file) => `echo $$ > '${file}' || exit 126`).join('; ');
  const script = `${join}; ulimit -f ${Math.ceil(maxFileBytes / 512)}; ulimit -c 0; exec "$@"`;
  return spawner.spawn(SHELL, ['-c', script, 'sandbox', ...buildChainCommand(plan)], [encodeArgs(buildBwrapArgs(plan)), seccompFilter]);
}

/** Runs a short host command through the spawner (no runner fork); resolves with its exit code. */
export function runHelperCommand(file: string, args: string[]): Promise<number | null> {
  return spawner.run(file, args);
}

const BRIDGE = `
import os, socket, sys, threading
port = int(sys.argv[1])
try:
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
except ConnectionRefusedError:
    s = socket.create_connection(('::1', port), timeout=10)  # a server bound only to ::1
s.settimeout(None)
def upstream():
    while True:
        data = os.read(0, 65536)
        if not data:
            try: s.shutdown(socket.SHUT_WR)
            except OSError: pass
            return
        s.sendall(data)
threading.Thread(target=upstream, daemon=True).start()
while True:
    data = s.recv(65536)
    if not data: break
    os.write(1, data)
`;

/**
 * A byte pipe to 127.0.0.1:port inside a session's network (never the host's loopback): a small
 * Python relay started in that namespace as `nobody`, speaking through its stdin/stdout. It joins
 * the session's relay cgroup before anything else, so its memory and tasks are the session's.
 */
export function spawnPreviewBridge(options: { netnsPath: string; port: number; pythonPath: string; cgroupProcsFiles: string[] }): ChildProcess {
  const join = options.cgroupProcsFiles.map((file) => `echo $$ > '${file}' || exit 126`).join('; ');
  return spawn(
    SHELL,
    ['-c', `${join}; exec "$@"`, 'relay',
      '/usr/bin/nsenter', `--net=${options.netnsPath}`, '--', '/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--', options.pythonPath, '-S', '-c', BRIDGE, String(options.port)],
    { env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

/**
 * The runner's one packet capture helper (wire/capture-helper.py): root on the host, in no
 * sandbox, so the reader's programs can neither see nor signal it (they live in their own pid
 * namespaces as other uids). Commands on its stdin, binary records on its stdout.
 */
export function spawnCaptureHelper(options: { pythonPath: string; scriptPath: string }): ChildProcess {
  return spawn(options.pythonPath, ['-S', options.scriptPath], { env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
}
