/**
 * The spawner: a small helper process that starts sandboxes for the runner and hands their
 * stdio back over the IPC channel. Forking a process costs time proportional to the parent's
 * memory, and Node forks on its main thread: from the runner (a large process serving HTTP) one
 * sandbox cost ~13 ms of blocked event loop; from this small process it costs a fraction of that,
 * on the other core. Started by processes.ts; exits when the runner goes away.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { closeSync, readdirSync, readFileSync } from 'node:fs';

interface SpawnRequest {
  id: number;
  /** `run`: a short command with no stdio; only its exit is reported. */
  mode?: 'sandbox' | 'run';
  file: string;
  args: string[];
  /** Data written to extra pipes (fd 3, 4, ...) and then closed, base64. */
  extraFds: string[];
}

process.on('disconnect', () => process.exit(0));
// A process manager that signals the runner's whole process group or cgroup (systemd's default
// KillMode=control-group, `kill -TERM -<pgid>`) must not end the sandboxes of a draining runner
// (they die with this process): it leaves when the runner does, by the disconnect above.
process.on('SIGTERM', () => {});

/**
 * Closes every file descriptor this process inherited without close-on-exec (beyond stdio and
 * the IPC channel): whatever the runner was started with (a CI harness's pipe at fd 251, say)
 * would otherwise be inherited by every sandbox and program. Node's and libuv's own descriptors
 * are all close-on-exec, so they stay.
 */
function closeInheritedDescriptors(): void {
  const channelFd = (process as unknown as { channel?: { fd?: number } }).channel?.fd;
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2 || fd === channelFd) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // the directory listing's own descriptor, closed meanwhile
    }
    const flags = /^flags:\s+([0-7]+)/m.exec(info)?.[1];
    if (flags === undefined || (parseInt(flags, 8) & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
    } catch {
      // closed meanwhile
    }
  }
}
const O_CLOEXEC = 0o2000000;
try {
  closeInheritedDescriptors();
} catch {
  // /proc unreadable: nothing inherited can be told apart; carry on.
}

process.on('message', (request: SpawnRequest) => {
  if (request.mode === 'run') {
    const child = spawn(request.file, request.args, { env: {}, cwd: '/', stdio: 'ignore' });
    child.on('error', (error) => process.send!({ id: request.id, kind: 'error', message: error.message }));
    child.on('exit', (code, signal) => process.send!({ id: request.id, kind: 'exit', code, signal }));
    return;
  }
  let child;
  try {
    child = spawn(request.file, request.args, {
      env: {},
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe', ...request.extraFds.map(() => 'pipe' as const)],
      // A session of its own: a signal to the runner's process group (Ctrl-C, `kill -TERM -<pgid>`)
      // reaches no sandbox; the runner ends them itself, by cgroup, when it drains or closes.
      detached: true,
    });
  } catch (error) {
    process.send!({ id: request.id, kind: 'error', message: (error as Error).message });
    return;
  }
  request.extraFds.forEach((data, index) => {
    const pipe = child.stdio[3 + index] as NodeJS.WritableStream;
    pipe.on('error', () => {});
    pipe.end(Buffer.from(data, 'base64'));
  });
  child.on('error', (error) => process.send!({ id: request.id, kind: 'error', message: error.message }));
  // Nothing may be read here: the runner reads. Output handles go first; the program inside
  // waits for its first line on stdin, so nothing is written before they have arrived.
  child.stdout.pause();
  child.stderr.pause();
  // Child stdio streams are net.Sockets over pipes, which the IPC channel can pass.
  const handle = (stream: unknown) => stream as Socket;
  process.send!({ id: request.id, kind: 'stdout', pid: child.pid }, handle(child.stdout));
  process.send!({ id: request.id, kind: 'stderr' }, handle(child.stderr));
  process.send!({ id: request.id, kind: 'stdin' }, handle(child.stdin));
  child.on('exit', (code, signal) => process.send!({ id: request.id, kind: 'exit', code, signal }));
});
