/**
 * The only module of the runner that starts operating-system processes: network namespaces,
 * session mounts, sandboxes and preview bridges. Everything it starts gets an empty environment
 * and `/` as working directory, so nothing of the runner's environment can leak inward.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { once } from 'node:events';
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

/**
 * Creates a network namespace with only `lo` (up, and ports below 1024 bindable by anyone) and
 * returns an open fd to it; the namespace lives as long as that fd, with no holder process.
 */
export async function createNetworkNamespace(): Promise<number> {
  const script = '/usr/sbin/ip link set lo up && echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start && echo ready && read _';
  const helper = spawn('/usr/bin/unshare', ['--net', '--', SHELL, '-c', script], { env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    let output = '';
    helper.stderr.on('data', (chunk) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      helper.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('ready')) resolve();
      });
      helper.on('error', reject);
      helper.on('exit', (code) => reject(new Error(`network namespace helper exited (${code}): ${output.trim()}`)));
    });
    return openSync(`/proc/${helper.pid}/ns/net`, 'r');
  } finally {
    helper.stdin.end();
    helper.kill('SIGKILL');
  }
}

/** Mounts a size-capped tmpfs owned by uid at dir (the session directory). */
export async function mountTmpfs(dir: string, uid: number, sizeBytes: number): Promise<void> {
  await run('/usr/bin/mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700,uid=${uid},gid=${uid},nosuid,nodev`, 'tmpfs', dir]);
}

export async function unmount(dir: string): Promise<void> {
  await run('/usr/bin/umount', ['--lazy', dir]).catch(() => {});
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

/**
 * Starts one sandbox: a root shell joins the run's cgroups and caps file size, then becomes
 * nsenter → setpriv → bwrap. bubblewrap reads its options and the seccomp filter from pipes.
 */
export function spawnSandbox({ plan, cgroupProcsFiles, maxFileBytes }: SandboxSpawnOptions): ChildProcess {
  const join = cgroupProcsFiles.map((file) => `echo $$ > '${file}' || exit 126`).join('; ');
  const script = `${join}; ulimit -f ${Math.ceil(maxFileBytes / 512)}; ulimit -c 0; exec "$@"`;
  const child = spawn(SHELL, ['-c', script, 'sandbox', ...buildChainCommand(plan)], {
    env: {},
    cwd: '/',
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  const [, , , argsPipe, seccompPipe] = child.stdio as [unknown, unknown, unknown, NodeJS.WritableStream, NodeJS.WritableStream];
  argsPipe.on('error', () => {});
  seccompPipe.on('error', () => {});
  argsPipe.end(encodeArgs(buildBwrapArgs(plan)));
  seccompPipe.end(seccompFilter);
  return child;
}

const BRIDGE = `
import os, socket, sys, threading
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)
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
 * Python relay started in that namespace as `nobody`, speaking through its stdin/stdout.
 */
export function spawnPreviewBridge(netnsPath: string, port: number, pythonPath: string): ChildProcess {
  return spawn(
    '/usr/bin/nsenter',
    [`--net=${netnsPath}`, '--', '/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--', pythonPath, '-S', '-c', BRIDGE, String(port)],
    { env: {}, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] },
  );
}

/** Waits for a child to exit; resolves with its code and signal. */
export async function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}
