/**
 * The wire view's pure part: which packets a cell shows, the lifelines (one per endpoint, with
 * its role), and each arrow's label. No DOM, so it is unit-tested on plain packets.
 */
import type { WirePacket } from '../../sandbox-runner/protocol.ts';

export interface Lifeline {
  endpoint: string;
  role: 'server' | 'client' | null;
}

/** Characters of payload shown on an arrow. */
const PREVIEW_CHARS = 24;

/** A connection, either way round: `tcp 127.0.0.1:40000 127.0.0.1:9999`. */
export function conversationOf(packet: WirePacket): string {
  const [a, b] = [packet.src, packet.dst].sort();
  return `${packet.proto} ${a} ${b}`;
}

/**
 * The packets of the conversations the given runs took part in (both directions, the other
 * program's packets included); every packet when `runs` is empty.
 */
export function packetsOfRuns(packets: readonly WirePacket[], runs: ReadonlySet<string>): WirePacket[] {
  if (runs.size === 0) return [...packets];
  const mine = new Set(packets.filter((packet) => packet.run !== null && runs.has(packet.run)).map(conversationOf));
  return packets.filter((packet) => mine.has(conversationOf(packet)));
}

/** One lifeline per endpoint, in order of appearance; a SYN's sender is a client, its target a server. */
export function lifelinesOf(packets: readonly WirePacket[]): Lifeline[] {
  const lines = new Map<string, Lifeline>();
  const line = (endpoint: string) => {
    let found = lines.get(endpoint);
    if (!found) lines.set(endpoint, (found = { endpoint, role: null }));
    return found;
  };
  for (const packet of packets) {
    const from = line(packet.src);
    const to = line(packet.dst);
    if (packet.flags.includes('SYN') && !packet.flags.includes('ACK')) {
      from.role ??= 'client';
      to.role = 'server';
    }
  }
  return [...lines.values()];
}

/** The payload as text when it is text (UTF-8 with no control bytes but newlines), else hex. */
export function payloadPreview(packet: WirePacket, maxChars = PREVIEW_CHARS): string {
  if (!packet.data) return '';
  const bytes = Uint8Array.from(atob(packet.data), (char) => char.charCodeAt(0));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const printable = !/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(text.replace(/\ufffd$/, ''));
  const shown = printable ? JSON.stringify(text.replace(/\ufffd$/, '')).slice(1, -1) : [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const more = shown.length > maxChars || packet.len > bytes.length;
  return shown.slice(0, maxChars) + (more ? '…' : '');
}

/** What an arrow says: the flags (or the protocol), the payload size, and its start. */
export function arrowLabel(packet: WirePacket): string {
  const kind = packet.proto === 'tcp' ? `[${packet.flags.join(', ')}]` : packet.proto === 'icmp' ? `ICMP ${packet.icmp ?? ''}`.trim() : 'UDP';
  const preview = payloadPreview(packet);
  return [kind, packet.len > 0 ? `${packet.len} B` : '', preview ? `“${preview}”` : ''].filter(Boolean).join(' ');
}

/** Details for a tooltip and the text table: sequence and ack numbers, window. */
export function tcpDetails(packet: WirePacket): string {
  if (packet.proto !== 'tcp') return '';
  return [`seq=${packet.tcpSeq}`, packet.tcpAck !== null ? `ack=${packet.tcpAck}` : '', `win=${packet.window}`].filter(Boolean).join(' ');
}

/** Packets lost before the view saw them: gaps in the seq numbers (the ring overwrote them). */
export function missingCount(packets: readonly WirePacket[]): number {
  if (packets.length === 0) return 0;
  return packets[packets.length - 1].seq - packets.length;
}
