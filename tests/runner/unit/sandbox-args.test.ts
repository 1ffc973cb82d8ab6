import { describe, expect, test } from 'vitest';
import { buildBwrapArgs, buildChainCommand, encodeArgs, type SandboxPlan } from '../../../sandbox-runner/sandbox/bwrap-args.ts';
import { buildSeccompFilter, DENIED_SYSCALLS, seccompInstructions } from '../../../sandbox-runner/sandbox/seccomp.ts';
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

describe('seccomp filter', () => {
  const program = seccompInstructions();
  test('is a whole number of 8-byte instructions', () => {
    expect(buildSeccompFilter().length).toBe(program.length * 8);
  });
  test('every jump lands inside the program', () => {
    program.forEach(([code, jt, jf], index) => {
      if ((code & 0x07) === 0x05) {
        expect(index + 1 + jt).toBeLessThan(program.length);
        expect(index + 1 + jf).toBeLessThan(program.length);
      }
    });
  });
  test('each denied syscall jumps to the EPERM return; the filter ends allow, deny', () => {
    const deny = program.length - 1;
    expect(program[deny]).toEqual([0x06, 0, 0, 0x00050001]);
    expect(program[deny - 1]).toEqual([0x06, 0, 0, 0x7fff0000]);
    for (const nr of Object.values(DENIED_SYSCALLS)) {
      const index = program.findIndex(([code, , , k], i) => i > 5 && code === 0x15 && k === nr);
      expect(index, `syscall ${nr}`).toBeGreaterThan(0);
      expect(index + 1 + program[index][1]).toBe(deny);
    }
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
