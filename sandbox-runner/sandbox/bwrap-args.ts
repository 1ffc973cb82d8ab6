/**
 * Builds the command line of one sandbox: nsenter (the session's network) → setpriv (the
 * session's unprivileged uid, no capabilities) → bubblewrap. Pure: returns arrays, starts
 * nothing. bubblewrap's own options travel through `--args FD` so that the sandbox's
 * /proc/1/cmdline shows no host paths.
 */
import { CELL_DIR, SANDBOX_ENV, SANDBOX_NODE, SANDBOX_NODE_HOOKS, SANDBOX_PYTHON, SESSION_DIR } from '../languages.ts';
import { LAUNCHER_SHELL } from './launcher.ts';

/** File descriptors the spawner passes to the chain (stdio occupies 0–2). */
export const FD_BWRAP_ARGS = 3;
export const FD_SECCOMP = 4;

export interface SandboxPlan {
  /** Path through which nsenter finds the session's network namespace. */
  netnsPath: string;
  /** Host uid/gid of the session. */
  uid: number;
  /** Host path of the session's directory (a tmpfs owned by uid). */
  sessionDir: string;
  /** Host path of this run's read-only code directory. */
  cellDir: string;
  /** Generated /etc files (hosts, passwd, group), host paths. */
  etcDir: string;
  pythonPath: string;
  nodePath: string;
  /** Host path of the execute-only shell bound at LAUNCHER_SHELL. */
  launcherShellPath: string;
  /** Host path of the Node module-resolution hook bound at SANDBOX_NODE_HOOKS. */
  nodeHooksPath: string;
  runTmpBytes: number;
  /** The program bubblewrap starts inside (the launcher). */
  command: readonly string[];
}

/** System directories visible read-only inside; everything else is absent. */
const SYSTEM_BINDS = [
  '/usr', '/etc/alternatives', '/etc/ssl', '/etc/ca-certificates', '/etc/localtime', '/etc/nsswitch.conf',
  // Name and service lookups: getservbyname('http'), getprotobyname('tcp'), getaddrinfo order.
  '/etc/services', '/etc/protocols', '/etc/host.conf', '/etc/gai.conf',
];
const SYMLINKS: Array<[target: string, link: string]> = [
  ['usr/bin', '/bin'],
  ['usr/sbin', '/sbin'],
  ['usr/lib', '/lib'],
  ['usr/lib64', '/lib64'],
];

/** bubblewrap's options: what goes through `--args FD` (the command cannot). */
export function buildBwrapArgs(plan: SandboxPlan): string[] {
  const args = [
    '--unshare-user', '--uid', '1000', '--gid', '1000',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--hostname', 'workbook',
    '--disable-userns', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    '--clearenv',
  ];
  for (const path of SYSTEM_BINDS) args.push('--ro-bind-try', path, path);
  for (const [target, link] of SYMLINKS) args.push('--symlink', target, link);
  // /usr/local holds host tools: hide it and show only the Node.js binary there.
  args.push('--size', '65536', '--tmpfs', '/usr/local', '--ro-bind', plan.nodePath, SANDBOX_NODE, '--ro-bind', plan.launcherShellPath, LAUNCHER_SHELL, '--ro-bind', plan.nodeHooksPath, SANDBOX_NODE_HOOKS, '--remount-ro', '/usr/local');
  if (plan.pythonPath !== SANDBOX_PYTHON) args.push('--ro-bind', plan.pythonPath, SANDBOX_PYTHON);
  for (const file of ['hosts', 'passwd', 'group', 'hostname']) args.push('--ro-bind', `${plan.etcDir}/${file}`, `/etc/${file}`);
  args.push(
    // Read-only: no program can open any /proc/<pid>/mem for writing (bubblewrap's own init,
    // pid 1 here, is dumpable and has the programs' uid).
    '--proc', '/proc', '--remount-ro', '/proc',
    '--dev', '/dev',
    '--size', String(plan.runTmpBytes), '--tmpfs', '/dev/shm',
    '--remount-ro', '/dev',
    '--size', String(plan.runTmpBytes), '--tmpfs', '/tmp',
    '--bind', plan.sessionDir, SESSION_DIR,
    '--ro-bind', plan.cellDir, CELL_DIR,
    '--remount-ro', '/',
    '--chdir', SESSION_DIR,
    '--seccomp', String(FD_SECCOMP),
  );
  for (const [name, value] of Object.entries(SANDBOX_ENV)) args.push('--setenv', name, value);
  return args;
}

/** The host command that enters the session and starts bubblewrap with options from FD 3. */
export function buildChainCommand(plan: Pick<SandboxPlan, 'netnsPath' | 'uid' | 'command'>): string[] {
  return [
    '/usr/bin/nsenter', `--net=${plan.netnsPath}`, '--',
    '/usr/bin/setpriv', `--reuid=${plan.uid}`, `--regid=${plan.uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--',
    '/usr/bin/bwrap', '--args', String(FD_BWRAP_ARGS), '--',
    ...plan.command,
  ];
}

/** bubblewrap reads `--args` as NUL-separated arguments. */
export function encodeArgs(args: readonly string[]): Buffer {
  return Buffer.from(args.map((arg) => `${arg}\0`).join(''));
}
