/**
 * A seccomp-BPF deny list for sandboxed programs, as the raw filter bytes bubblewrap reads from
 * `--seccomp FD`. Pure: builds a Buffer, starts nothing. x86_64 only (the runner refuses to
 * start elsewhere); any other architecture or the x32 ABI is killed outright.
 *
 * Denied syscalls return EPERM: ptrace and cross-process memory access (the sandbox's init
 * could otherwise be stopped and the run hung), kernel keyrings, bpf, io_uring, userfaultfd,
 * perf, every mount and namespace call, module and kexec loading, and more; sockets of any family
 * but those lessons need (see ALLOWED_SOCKET_FAMILIES); and the TIOCSTI ioctl that injects input
 * into a terminal.
 */

// Classic BPF opcodes.
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
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

const ret = (value: number): Instruction => [BPF_RET_K, 0, 0, value];
const load = (offset: number): Instruction => [BPF_LD_W_ABS, 0, 0, offset];

/** The filter as instructions (exported for tests); see buildSeccompFilter for bytes. */
export function seccompInstructions(): Instruction[] {
  const denyErrno = SECCOMP_RET_ERRNO | EPERM;
  const program: Instruction[] = [
    load(OFFSET_ARCH),
    [BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64],
    ret(SECCOMP_RET_KILL_PROCESS),
    load(OFFSET_NR),
    [BPF_JGE_K, 0, 1, X32_SYSCALL_BIT],
    ret(SECCOMP_RET_KILL_PROCESS),
  ];
  // Each denied number: if equal, jump to the shared "deny" return placed after the list.
  const numbers = Object.values(DENIED_SYSCALLS);
  // After the list: the socket family check (8), the ioctl check (4), allow, then deny.
  const afterList = 8 + 4 + 1;
  numbers.forEach((nr, index) => {
    const remaining = numbers.length - index - 1;
    program.push([BPF_JEQ_K, remaining + afterList, 0, nr]);
  });
  const [unix, inet, inet6, netlink] = ALLOWED_SOCKET_FAMILIES;
  program.push(
    // socket(family, ...): only the families lessons need; others → EAFNOSUPPORT.
    [BPF_JEQ_K, 0, 7, SYSCALL_SOCKET],
    load(offsetArgLow(0)),
    [BPF_JEQ_K, 4, 0, unix],
    [BPF_JEQ_K, 3, 0, inet],
    [BPF_JEQ_K, 2, 0, inet6],
    [BPF_JEQ_K, 1, 0, netlink],
    ret(SECCOMP_RET_ERRNO | EAFNOSUPPORT),
    ret(SECCOMP_RET_ALLOW),
    // ioctl(fd, TIOCSTI, ...) → EPERM
    [BPF_JEQ_K, 0, 3, SYSCALL_IOCTL],
    load(offsetArgLow(1)),
    [BPF_JEQ_K, 0, 1, TIOCSTI],
    ret(denyErrno),
    ret(SECCOMP_RET_ALLOW),
    ret(denyErrno),
  );
  return program;
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
