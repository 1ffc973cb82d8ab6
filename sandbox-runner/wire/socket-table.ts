/**
 * A session's sockets now, read from the kernel's tables as seen from a process inside the
 * session's network namespace (`/proc/<pid>/net/{tcp,tcp6,udp,udp6}`), and each socket's owner:
 * the cgroup leaf (one per run) of the process holding it (`/proc/<pid>/fd` → `socket:[inode]`).
 * No process is started; all of it is a few reads of /proc by the root runner.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { SocketEntry } from '../protocol.ts';
import { endpoint, formatIpv4, formatIpv6 } from './packet.ts';

/** A socket as the kernel lists it; `inode` is 0 for one no process holds (TIME_WAIT, not yet accepted). */
export type KernelSocket = Omit<SocketEntry, 'run'> & { inode: number };

const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
};

/** `0100007F:270F` (IPv4) or 32 hex digits (IPv6), each 32-bit word in host (little-endian) order. */
export function parseProcAddress(text: string): { address: string; port: number; family: 4 | 6 } {
  const [hex, portHex] = text.split(':');
  const bytes = Buffer.from(hex, 'hex');
  for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  const family = bytes.length === 16 ? 6 : 4;
  return { address: family === 6 ? formatIpv6(bytes, 0) : formatIpv4(bytes, 0), port: parseInt(portHex, 16), family };
}

function formatProcEndpoint(text: string, wildcard: boolean): string {
  const { address, port, family } = parseProcAddress(text);
  if (wildcard && port === 0) return '*:*';
  return endpoint(address, port, family);
}

/** Parses one /proc/net/{tcp,udp}[6] table. */
export function parseSocketTable(text: string, proto: 'tcp' | 'udp'): KernelSocket[] {
  const sockets: KernelSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const stateNumber = parseInt(fields[3], 16);
    const [sendQ, recvQ] = fields[4].split(':').map((value) => parseInt(value, 16));
    const state = proto === 'udp' ? (stateNumber === 1 ? 'ESTABLISHED' : 'UNCONN') : (TCP_STATES[stateNumber] ?? `STATE_${stateNumber}`);
    sockets.push({ proto, state, local: formatProcEndpoint(fields[1], false), peer: formatProcEndpoint(fields[2], true), recvQ, sendQ, inode: Number(fields[9]) });
  }
  return sockets;
}

/** Every TCP/UDP socket of the network namespace that process `pid` is in. */
export async function readSocketTables(pid: number): Promise<KernelSocket[]> {
  const tables = await Promise.all((['tcp', 'tcp6', 'udp', 'udp6'] as const).map(async (name) => {
    const text = await readFile(`/proc/${pid}/net/${name}`, 'utf8').catch(() => '');
    return parseSocketTable(text, name.startsWith('tcp') ? 'tcp' : 'udp');
  }));
  return tables.flat();
}

/** The socket inodes that these processes hold open. */
export async function socketInodesOf(pids: readonly number[]): Promise<Set<number>> {
  const inodes = new Set<number>();
  await Promise.all(pids.map(async (pid) => {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    await Promise.all(fds.map(async (fd) => {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(Number(inode));
    }));
  }));
  return inodes;
}
