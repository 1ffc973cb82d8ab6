/**
 * Parses one captured frame (Ethernet, as `lo` delivers it, trimmed by the capture to its first
 * bytes) into what the wire view shows: IPv4/IPv6, TCP with flags, sequence/ack numbers and
 * window, UDP, ICMP/ICMPv6. Lengths come from the IP and UDP headers, so a trimmed frame still
 * reports its real payload size. Pure: no I/O, no clock.
 */
import type { WirePacket } from '../protocol.ts';

/** Payload bytes kept per packet. */
export const PREVIEW_BYTES = 64;

/** A packet before the session numbers and attributes it. */
export type ParsedPacket = Omit<WirePacket, 'seq' | 't' | 'run' | 'data'> & { data: Buffer; icmp?: string };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERNET_HEADER = 14;
/** In Wireshark's order (`SYN, ACK`, `FIN, ACK`, `PSH, ACK`, `RST, ACK`). */
const TCP_FLAGS: Array<[number, string]> = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR']];
/** IPv6 extension headers skipped to reach TCP/UDP/ICMPv6 (hop-by-hop, routing, destination options). */
const IPV6_EXTENSIONS = new Set([0, 43, 60]);
const ICMP_NAMES: Record<string, string> = {
  '4:0': 'echo reply', '4:8': 'echo request', '4:3': 'destination unreachable', '4:11': 'time exceeded',
  '6:1': 'destination unreachable', '6:3': 'time exceeded', '6:128': 'echo request', '6:129': 'echo reply',
};
const UNREACHABLE_CODES: Record<string, string> = { '4:3': 'port', '4:1': 'host', '4:0': 'network', '6:4': 'port', '6:3': 'address' };

const notTcp = () => ({ flags: [] as string[], tcpSeq: null, tcpAck: null, window: null });

export function formatIpv4(bytes: Buffer, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text form: lowercase, leading zeros dropped, the longest run of zero groups as `::`. */
export function formatIpv6(bytes: Buffer, offset: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(offset + 2 * i));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > best.length && end - i >= 2) best = { start: i, length: end - i };
    i = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function endpoint(address: string, port: number | null, family: 4 | 6): string {
  if (port === null) return address;
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Where a frame's parts are: found without making any string, shared by parseFrame and peekFlow. */
interface Located {
  proto: 'tcp' | 'udp' | 'icmp';
  family: 4 | 6;
  /** Offset of the source address (the destination follows it). */
  addresses: number;
  l4: number;
  l4Length: number;
}

/** Null for anything that is not TCP, UDP or ICMP over IP (nothing else travels on a session's lo). */
function locate(frame: Buffer): Located | null {
  if (frame.length < ETHERNET_HEADER) return null;
  const etherType = frame.readUInt16BE(12);
  const ip = ETHERNET_HEADER;
  let family: 4 | 6;
  let protocol: number;
  let l4: number;
  let l4Length: number;
  if (etherType === ETHERTYPE_IPV4) {
    if (frame.length < ip + 20 || frame[ip] >> 4 !== 4) return null;
    const headerLength = (frame[ip] & 0x0f) * 4;
    family = 4;
    protocol = frame[ip + 9];
    l4 = ip + headerLength;
    l4Length = frame.readUInt16BE(ip + 2) - headerLength;
    // A later fragment carries no TCP/UDP header.
    if ((frame.readUInt16BE(ip + 6) & 0x1fff) !== 0) return null;
  } else if (etherType === ETHERTYPE_IPV6) {
    if (frame.length < ip + 40) return null;
    family = 6;
    protocol = frame[ip + 6];
    l4 = ip + 40;
    l4Length = frame.readUInt16BE(ip + 4);
    while (IPV6_EXTENSIONS.has(protocol) && frame.length >= l4 + 8) {
      const extensionLength = (frame[l4 + 1] + 1) * 8;
      protocol = frame[l4];
      l4 += extensionLength;
      l4Length -= extensionLength;
    }
  } else {
    return null;
  }
  const addresses = family === 4 ? ip + 12 : ip + 8;
  if (protocol === 6 && frame.length >= l4 + 20) return { proto: 'tcp', family, addresses, l4, l4Length };
  if (protocol === 17 && frame.length >= l4 + 8) return { proto: 'udp', family, addresses, l4, l4Length };
  if (((protocol === 1 && family === 4) || (protocol === 58 && family === 6)) && frame.length >= l4 + 8) return { proto: 'icmp', family, addresses, l4, l4Length };
  return null;
}

/** A packet's flow in raw bytes (protocol, addresses, ports), both ways, and whether it opens a TCP connection. */
export interface FlowPeek {
  flow: string;
  reverse: string;
  /** A SYN without ACK: a new connection, perhaps from an endpoint used before. */
  opening: boolean;
}

/** What attribution needs of a frame, cheaply (no parse, no formatting); null exactly when parseFrame is null. */
export function peekFlow(frame: Buffer): FlowPeek | null {
  const where = locate(frame);
  if (!where) return null;
  const { proto, family, addresses, l4 } = where;
  const size = family === 4 ? 4 : 16;
  // An endpoint as its address's 32-bit words and its port, in decimal (cheaper than any byte-to-string decoding).
  const end = (address: number, port: number) => {
    let key = '';
    for (let word = address; word < address + size; word += 4) key += `${frame.readUInt32BE(word)}.`;
    return proto === 'icmp' ? key : key + frame.readUInt16BE(port);
  };
  const src = end(addresses, l4);
  const dst = end(addresses + size, l4 + 2);
  return { flow: `${proto} ${src}>${dst}`, reverse: `${proto} ${dst}>${src}`, opening: proto === 'tcp' && (frame[l4 + 13] & 0x12) === 0x02 };
}

/** Parses a frame; null for anything that is not IP (nothing else travels on a session's lo). */
export function parseFrame(frame: Buffer): ParsedPacket | null {
  const where = locate(frame);
  if (!where) return null;
  const { proto, family, addresses, l4, l4Length } = where;
  const src = family === 4 ? formatIpv4(frame, addresses) : formatIpv6(frame, addresses);
  const dst = family === 4 ? formatIpv4(frame, addresses + 4) : formatIpv6(frame, addresses + 16);
  const preview = (start: number, length: number) => Buffer.from(frame.subarray(start, Math.min(frame.length, start + Math.min(length, PREVIEW_BYTES))));

  if (proto === 'tcp') {
    const dataOffset = (frame[l4 + 12] >> 4) * 4;
    const flagBits = frame[l4 + 13];
    const len = Math.max(0, l4Length - dataOffset);
    return {
      proto,
      src: endpoint(src, frame.readUInt16BE(l4), family),
      dst: endpoint(dst, frame.readUInt16BE(l4 + 2), family),
      flags: TCP_FLAGS.filter(([bit]) => flagBits & bit).map(([, name]) => name),
      tcpSeq: frame.readUInt32BE(l4 + 4),
      tcpAck: flagBits & 0x10 ? frame.readUInt32BE(l4 + 8) : null,
      window: frame.readUInt16BE(l4 + 14),
      len,
      data: preview(l4 + dataOffset, len),
    };
  }
  if (proto === 'udp') {
    const len = Math.max(0, frame.readUInt16BE(l4 + 4) - 8);
    return {
      proto,
      src: endpoint(src, frame.readUInt16BE(l4), family),
      dst: endpoint(dst, frame.readUInt16BE(l4 + 2), family),
      ...notTcp(),
      len,
      data: preview(l4 + 8, len),
    };
  }
  const type = frame[l4];
  const code = frame[l4 + 1];
  const name = ICMP_NAMES[`${family}:${type}`] ?? `type ${type}`;
  const detail = name === 'destination unreachable' ? UNREACHABLE_CODES[`${family}:${code}`] : undefined;
  const len = Math.max(0, l4Length - 8);
  return {
    proto,
    src,
    dst,
    ...notTcp(),
    len,
    data: preview(l4 + 8, len),
    icmp: detail ? `${name} (${detail})` : name,
  };
}
