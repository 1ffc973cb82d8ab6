import { describe, expect, test } from 'vitest';
import { buildBwrapArgs, buildChainCommand, encodeArgs, type SandboxPlan } from '../../../sandbox-runner/sandbox/bwrap-args.ts';
import { buildSeccompFilter, DENIED_SYSCALLS, HIGHEST_HELPER_PID, seccompInstructions, SIGNAL_SYSCALLS } from '../../../sandbox-runner/sandbox/seccomp.ts';
import { variantFor, VARIANTS } from '../../../sandbox-runner/languages.ts';

const plan: SandboxPlan = {
  netnsPath: '/proc/100/fd/20',
  uid: 200_001,
  sessionDir: '/run/socket-workbook/sessions/sA',
  cellDir: '/run/socket-workbook/cells/rB',
  etcDir: '/run/socket-workbook/etc',
  pythonPath: '/usr/bin/python3',
  nodePath: '/opt/node/bin/node',
  launcherShellPath: '/run/socket-workbook/i1-abc/bin/sh',
  nodeHooksPath: '/run/socket-workbook/i1-abc/bin/cell-hooks.mjs',
  runTmpBytes: 16 * 1024 * 1024,
  command: ['/bin/sh', '-c', 'launcher'],
};

describe('buildChainCommand', () => {
  test('enters the session network, drops to the session uid, starts bwrap with options from FD 3', () => {
    expect(buildChainCommand(plan)).toMatchInlineSnapshot(`
      [
        "/usr/bin/nsenter",
        "--net=/proc/100/fd/20",
        "--",
        "/usr/bin/setpriv",
        "--reuid=200001",
        "--regid=200001",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
        "/usr/bin/bwrap",
        "--args",
        "3",
        "--",
        "/bin/sh",
        "-c",
        "launcher",
      ]
    `);
  });
});

describe('buildBwrapArgs', () => {
  const args = buildBwrapArgs(plan);
  const pairs = (flag: string) => args.flatMap((arg, index) => (arg === flag ? [[args[index + 1], args[index + 2]]] : []));

  test('snapshot', () => {
    expect(args).toMatchSnapshot();
  });
  test('unshares everything but the network (already entered), drops all capabilities', () => {
    for (const flag of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv']) expect(args).toContain(flag);
    expect(args.join(' ')).toContain('--cap-drop ALL');
    expect(args).not.toContain('--unshare-net');
    expect(args).not.toContain('--share-net');
  });
  test('every tmpfs has a size', () => {
    args.forEach((arg, index) => {
      if (arg === '--tmpfs') expect(args[index - 2]).toBe('--size');
    });
  });
  test('only the session directory is writable; the root and /dev are read-only', () => {
    expect(pairs('--bind')).toEqual([['/run/socket-workbook/sessions/sA', '/home/reader']]);
    expect(args.join(' ')).toMatch(/--remount-ro \/dev .*--remount-ro \//);
    expect(pairs('--ro-bind')).toContainEqual(['/run/socket-workbook/cells/rB', '/cell']);
    expect(pairs('--ro-bind')).toContainEqual(['/opt/node/bin/node', '/usr/local/bin/node']);
  });
  test('no host path beyond the system image is bound', () => {
    const sources = [...pairs('--ro-bind'), ...pairs('--ro-bind-try'), ...pairs('--bind')].map(([source]) => source);
    for (const source of sources) expect(source).toMatch(/^(\/usr|\/etc\/(alternatives|ssl|ca-certificates|localtime|nsswitch\.conf|services|protocols|host\.conf|gai\.conf)|\/run\/socket-workbook\/|\/opt\/node\/bin\/node)/);
  });
  test('a Python elsewhere is bound where the launcher expects it', () => {
    expect(buildBwrapArgs({ ...plan, pythonPath: '/opt/py/bin/python3' }).join(' ')).toContain('--ro-bind /opt/py/bin/python3 /usr/bin/python3');
  });
  test('encodeArgs separates with NUL', () => {
    expect(encodeArgs(['a', 'b c'])).toEqual(Buffer.from('a\0b c\0'));
  });
});

/**
 * Runs the classic-BPF filter on one syscall, as the kernel would (the subset the builder
 * emits: absolute word loads, JEQ/JGT/JGE with constants, RET).
 */
function evaluate(program: ReturnType<typeof seccompInstructions>, nr: number, args: number[] = [], arch = 0xc000003e): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  args.forEach((arg, index) => data.writeBigInt64LE(BigInt(arg), 16 + index * 8));
  let accumulator = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const [code, jt, jf, k] = program[pc];
    if (code === 0x20) accumulator = data.readUInt32LE(k);
    else if (code === 0x06) return k >>> 0;
    else {
      const taken = code === 0x15 ? accumulator === k >>> 0 : code === 0x25 ? accumulator > k >>> 0 : code === 0x35 ? accumulator >= k >>> 0 : null;
      if (taken === null) throw new Error(`unexpected opcode ${code} at ${pc}`);
      pc += taken ? jt : jf;
    }
  }
  throw new Error('fell off the end of the filter');
}

describe('seccomp filter', () => {
  const program = seccompInstructions();
  const ALLOW = 0x7fff0000;
  const EPERM = 0x00050001;
  test('is a whole number of 8-byte instructions', () => {
    expect(buildSeccompFilter().length).toBe(program.length * 8);
  });
  test('every denied syscall gets EPERM; ordinary ones are allowed', () => {
    for (const [name, nr] of Object.entries(DENIED_SYSCALLS)) expect(evaluate(program, nr), name).toBe(EPERM);
    for (const nr of [0, 1, 2, 3, 41 /* socket, checked below */, 42, 43, 49, 50, 56, 57, 59, 231]) if (nr !== 41) expect(evaluate(program, nr), `syscall ${nr}`).toBe(ALLOW);
  });
  test('another architecture or the x32 ABI is killed', () => {
    expect(evaluate(program, 0, [], 0x40000003)).toBe(0x80000000);
    expect(evaluate(program, 0x40000000 + 1)).toBe(0x80000000);
  });
  test('socket: the lesson families only', () => {
    for (const family of [1, 2, 10, 16]) expect(evaluate(program, 41, [family, 1, 0])).toBe(ALLOW);
    for (const family of [17 /* AF_PACKET */, 40 /* vsock */, 38 /* alg */, 31 /* bluetooth */]) expect(evaluate(program, 41, [family, 3, 0])).toBe(0x00050000 | 97);
  });
  test('signals: never to pid 1 or 2, -1 or a process group; freely to the program\'s own pids', () => {
    for (const [name, nr] of Object.entries(SIGNAL_SYSCALLS)) {
      for (const pid of [-1, -2, -1000, 0, 1, HIGHEST_HELPER_PID]) expect(evaluate(program, nr, [pid, 9]), `${name}(${pid})`).toBe(EPERM);
      for (const pid of [HIGHEST_HELPER_PID + 1, 40, 4_000_000]) expect(evaluate(program, nr, [pid, 9]), `${name}(${pid})`).toBe(ALLOW);
    }
  });
  test('no other process may be made the receiver of SIGIO', () => {
    expect(evaluate(program, 72, [3, 8, 2])).toBe(EPERM); // fcntl F_SETOWN
    expect(evaluate(program, 72, [3, 15, 0])).toBe(EPERM); // fcntl F_SETOWN_EX
    expect(evaluate(program, 72, [3, 4, 2048])).toBe(ALLOW); // fcntl F_SETFL
    expect(evaluate(program, 16, [3, 0x8901, 0])).toBe(EPERM); // ioctl FIOSETOWN
    expect(evaluate(program, 16, [3, 0x5412, 0])).toBe(EPERM); // ioctl TIOCSTI
    expect(evaluate(program, 16, [3, 0x541b, 0])).toBe(ALLOW); // ioctl FIONREAD
  });
  test('covers the syscalls the design names', () => {
    for (const name of ['ptrace', 'process_vm_readv', 'process_vm_writev', 'keyctl', 'bpf', 'io_uring_setup', 'userfaultfd', 'perf_event_open', 'mount', 'setns', 'unshare']) expect(DENIED_SYSCALLS).toHaveProperty(name);
  });
});

describe('variantFor', () => {
  test.each([
    ['python', 'print(1)', VARIANTS.python],
    ['javascript', 'console.log(1)', VARIANTS['javascript-esm']],
    ['javascript', "import net from 'node:net'", VARIANTS['javascript-esm']],
    ['javascript', "const net = require('net')", VARIANTS['javascript-cjs']],
    ['javascript', "const net = require('net');\nexport {}", VARIANTS['javascript-esm']],
    ['javascript', "const net = require('net');\nawait 1", VARIANTS['javascript-esm']],
    ['typescript', "const x: number = 1", VARIANTS['typescript-esm']],
    ['typescript', "const fs = require('fs')", VARIANTS['typescript-cjs']],
  ] as const)('%s %j', (language, code, expected) => {
    expect(variantFor(language, code)).toBe(expected);
  });
});
