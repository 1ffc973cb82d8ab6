/** The wire view's pure part (src/client/wire-diagram.ts) on plain packets. */
import { describe, expect, test } from 'vitest';
import type { WirePacket } from '../../sandbox-runner/protocol.ts';
import { arrowLabel, lifelinesOf, missingCount, packetsOfRuns, payloadPreview } from '../../src/client/wire-diagram.ts';

let seq = 0;
const packet = (src: string, dst: string, flags: string[], more: Partial<WirePacket> = {}): WirePacket => ({
  seq: ++seq, t: seq, proto: 'tcp', src, dst, flags, tcpSeq: 1, tcpAck: flags.includes('ACK') ? 1 : null, window: 64, len: 0, data: '', run: null, ...more,
});
const C = '127.0.0.1:40000';
const S = '127.0.0.1:9999';
const data = (text: string) => Buffer.from(text).toString('base64');

describe('lifelines', () => {
  test('one per endpoint in order of appearance; the SYN tells client from server', () => {
    expect(lifelinesOf([packet(C, S, ['SYN']), packet(S, C, ['SYN', 'ACK'])])).toEqual([{ endpoint: C, role: 'client' }, { endpoint: S, role: 'server' }]);
    expect(lifelinesOf([packet('[::1]:5', '[::1]:6', [], { proto: 'udp' })]).map((line) => line.role)).toEqual([null, null]);
  });
});

describe('which packets a cell shows', () => {
  test("the conversations its runs took part in, the other side's packets included", () => {
    const mine = [packet(C, S, ['SYN'], { run: 'r-client' }), packet(S, C, ['SYN', 'ACK'], { run: 'r-server' })];
    const other = packet('127.0.0.1:40001', S, ['SYN'], { run: 'r-other' });
    expect(packetsOfRuns([...mine, other], new Set(['r-client']))).toEqual(mine);
    expect(packetsOfRuns([...mine, other], new Set())).toHaveLength(3);
  });
});

describe('labels', () => {
  test('flags, size and the payload as text, or hex when it is not text', () => {
    expect(arrowLabel(packet(C, S, ['SYN']))).toBe('[SYN]');
    expect(arrowLabel(packet(C, S, ['PSH', 'ACK'], { len: 18, data: data('请求占领地球') }))).toBe('[PSH, ACK] 18 B “请求占领地球”');
    expect(payloadPreview(packet(C, S, ['ACK'], { len: 3, data: Buffer.from([0, 1, 255]).toString('base64') }))).toBe('00 01 ff');
    expect(payloadPreview(packet(C, S, ['ACK'], { len: 100, data: data('x'.repeat(64)) }))).toBe('x'.repeat(24) + '…');
    expect(payloadPreview(packet(C, S, ['ACK'], { len: 6, data: data('GET /\n') }))).toBe('GET /\\n');
    expect(arrowLabel(packet('127.0.0.1', '127.0.0.1', [], { proto: 'icmp', icmp: 'destination unreachable (port)' }))).toBe('ICMP destination unreachable (port)');
  });
  test('packets the ring overwrote show as missing', () => {
    expect(missingCount([packet(C, S, [], { seq: 5 }), packet(C, S, [], { seq: 6 })])).toBe(4);
    expect(missingCount([])).toBe(0);
  });
});
