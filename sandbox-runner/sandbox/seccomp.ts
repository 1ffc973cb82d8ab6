/**
 * A seccomp-BPF deny list for sandboxed programs, as the raw filter bytes bubblewrap reads from
 * `--seccomp FD`. Pure: builds a Buffer, starts nothing. x86_64 only (the runner refuses to
 * start elsewhere); any other architecture or the x32 ABI is killed outright.
 *
 * Denied syscalls return EPERM: ptrace and cross-process memory access (the sandbox's init
 * could otherwise be stopped and the run hung), kernel keyrings, bpf, io_uring, userfaultfd,
 * perf, every mount and namespace call, module and kexec loading, and more; sockets of any family
 * but those lessons need (see ALLOWED_SOCKET_FAMILIES); and the TIOCSTI ioctl that injects input
 * into a terminal; signals to the session's helpers (see SIGNAL_SYSCALLS), and choosing another
 * process as the receiver of SIGIO.
 */

// Classic BPF opcodes.
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JGT_K = 0x25;
const BPF_RET_K = 0x06;

const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

// struct seccomp_data offsets.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const offsetArgLow = (index: number) => 16 + index * 8;

/** x86_64 syscall numbers denied outright. */
export const DENIED_SYSCALLS: Readonly<Record<string, number>> = {
  ptrace: 101,
  syslog: 103,
  personality: 135,
  pivot_root: 155,
  chroot: 161,
  acct: 163,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  init_module: 175,
  delete_module: 176,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  move_pages: 279,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  pidfd_getfd: 438,
  mount_setattr: 442,
};

const SYSCALL_SOCKET = 41;
const SYSCALL_IOCTL = 16;
const EAFNOSUPPORT = 97;

/**
 * Socket families a program may create: AF_UNIX (local IPC, Python's and Node's own plumbing),
 * AF_INET and AF_INET6 (the lessons), AF_NETLINK (`ss`, interface listings such as
 * `socket.if_nameindex()` and `os.networkInterfaces()`, inside the session's own namespace).
 * Every other family (packet capture, vsock, the kernel crypto API, Bluetooth, ...) is attack
 * surface no lesson needs.
 */
export const ALLOWED_SOCKET_FAMILIES = [1, 2, 10, 16] as const;
const TIOCSTI = 0x5412;
type Instruction = [code: number, jt: number, jf: number, k: number];

/**
 * Signal syscalls, each with the index of its target-pid argument. A program may not signal pid
 * 1 (bubblewrap's init) or pid 2 (the session's zygote), nor -1 (everything it may signal) or a
 * process group (0 or a negative pid: the zygote's group holds every run's shell): those are the
 * session's helpers, and stopping or killing them would hang or end the session's other runs.
 * Signals to its own processes (pids above 2) are untouched. pidfd_open is the way around kill().
 */
export const SIGNAL_SYSCALLS: Readonly<Record<string, number>> = {
  kill: 62,
  rt_sigqueueinfo: 129,
  tkill: 200,
  tgkill: 234,
  rt_tgsigqueueinfo: 297,
  pidfd_open: 434,
};
/** The highest pid that belongs to the session's helpers (bubblewrap's init, the zygote). */
export const HIGHEST_HELPER_PID = 2;

const SYSCALL_FCNTL = 72;
/** fcntl(F_SETOWN / F_SETOWN_EX) and ioctl(FIOSETOWN / SIOCSPGRP) pick who gets SIGIO: any pid. */
const F_SETOWN = 8;
const F_SETOWN_EX = 15;
const FIOSETOWN = 0x8901;
const SIOCSPGRP = 0x8902;

/** An instruction whose jump targets are labels, resolved by assemble(). */
type Step = { code: number; k: number; jt?: string; jf?: string } | { label: string };

const ret = (value: number): Step => ({ code: BPF_RET_K, k: value });
const load = (offset: number): Step => ({ code: BPF_LD_W_ABS, k: offset });
/** Jumps to `then` when the accumulator equals k, otherwise falls through. */
const ifEqual = (k: number, then: string): Step => ({ code: BPF_JEQ_K, k, jt: then });
const label = (name: string): Step => ({ label: name });

function assemble(steps: Step[]): Instruction[] {
  const at = new Map<string, number>();
  let index = 0;
  for (const step of steps) {
    if ('label' in step) at.set(step.label, index);
    else index++;
  }
  const program: Instruction[] = [];
  for (const step of steps) {
    if ('label' in step) continue;
    const offset = (name?: string): number => {
      if (name === undefined) return 0;
      const target = at.get(name);
      if (target === undefined) throw new Error(`seccomp: no label ${name}`);
      const jump = target - program.length - 1;
      if (jump < 0 || jump > 255) throw new Error(`seccomp: jump to ${name} out of range`);
      return jump;
    };
    program.push([step.code, offset(step.jt), offset(step.jf), step.k]);
  }
  return program;
}

/** The filter as instructions (exported for tests); see buildSeccompFilter for bytes. */
export function seccompInstructions(): Instruction[] {
  const [unix, inet, inet6, netlink] = ALLOWED_SOCKET_FAMILIES;
  return assemble([
    load(OFFSET_ARCH),
    { code: BPF_JEQ_K, k: AUDIT_ARCH_X86_64, jt: 'native', jf: 'kill' },
    label('native'),
    load(OFFSET_NR),
    { code: BPF_JGE_K, k: X32_SYSCALL_BIT, jt: 'kill' },
    ...Object.values(DENIED_SYSCALLS).map((nr) => ifEqual(nr, 'deny')),
    ...Object.values(SIGNAL_SYSCALLS).map((nr) => ifEqual(nr, 'signal')),
    ifEqual(SYSCALL_SOCKET, 'socket'),
    ifEqual(SYSCALL_IOCTL, 'ioctl'),
    ifEqual(SYSCALL_FCNTL, 'fcntl'),
    ret(SECCOMP_RET_ALLOW),

    // A signal's target (argument 0 of each): pids 0..2 and negative ones are the helpers'.
    label('signal'),
    load(offsetArgLow(0)),
    { code: BPF_JGE_K, k: 0x80000000, jt: 'deny' },
    { code: BPF_JGT_K, k: HIGHEST_HELPER_PID, jt: 'allow', jf: 'deny' },

    // socket(family, ...): only the families lessons need; others → EAFNOSUPPORT.
    label('socket'),
    load(offsetArgLow(0)),
    ifEqual(unix, 'allow'),
    ifEqual(inet, 'allow'),
    ifEqual(inet6, 'allow'),
    ifEqual(netlink, 'allow'),
    ret(SECCOMP_RET_ERRNO | EAFNOSUPPORT),

    // ioctl(fd, TIOCSTI | FIOSETOWN | SIOCSPGRP, ...) → EPERM
    label('ioctl'),
    load(offsetArgLow(1)),
    ifEqual(TIOCSTI, 'deny'),
    ifEqual(FIOSETOWN, 'deny'),
    ifEqual(SIOCSPGRP, 'deny'),
    ret(SECCOMP_RET_ALLOW),

    // fcntl(fd, F_SETOWN | F_SETOWN_EX, ...) → EPERM
    label('fcntl'),
    load(offsetArgLow(1)),
    ifEqual(F_SETOWN, 'deny'),
    ifEqual(F_SETOWN_EX, 'deny'),

    label('allow'),
    ret(SECCOMP_RET_ALLOW),
    label('deny'),
    ret(SECCOMP_RET_ERRNO | EPERM),
    label('kill'),
    ret(SECCOMP_RET_KILL_PROCESS),
  ]);
}

/** The filter as `struct sock_filter[]` bytes (8 bytes per instruction, little-endian). */
export function buildSeccompFilter(): Buffer {
  const program = seccompInstructions();
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], index) => {
    bytes.writeUInt16LE(code, index * 8);
    bytes.writeUInt8(jt, index * 8 + 2);
    bytes.writeUInt8(jf, index * 8 + 3);
    bytes.writeUInt32LE(k >>> 0, index * 8 + 4);
  });
  return bytes;
}
