/**
 * The wire's pure parts on packets recorded from a real session (fixtures/loopback-frames.txt):
 * the frame parser, the kernel socket tables, the ring's bound; and the two routes over HTTP
 * against the fake backend (recorded frames fed in), for since, follow and their errors.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../../sandbox-runner/config.ts';
import { createRunnerHandler, type RunnerHandler } from '../../../sandbox-runner/handler.ts';
import type { WireBody, WirePacket } from '../../../sandbox-runner/protocol.ts';
import { FakeBackend } from '../../../sandbox-runner/sandbox/fake-backend.ts';
import { formatIpv6, parseFrame, peekFlow } from '../../../sandbox-runner/wire/packet.ts';
import { FRAME_BYTES, FrameRing } from '../../../sandbox-runner/wire/ring.ts';
import { parseProcAddress, parseSocketTable } from '../../../sandbox-runner/wire/socket-table.ts';

const FRAMES = readFileSync(new URL('./fixtures/loopback-frames.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => Buffer.from(line.split(' ')[1], 'hex'));

const parsed = FRAMES.map((frame) => parseFrame(frame));
const summary = (index: number) => {
  const packet = parsed[index]!;
  return `${packet.proto} ${packet.src} > ${packet.dst} [${packet.flags.join(', ')}] len=${packet.len}`;
};

describe('parseFrame on recorded frames', () => {
  test('the TCP handshake: SYN, SYN/ACK, ACK with sequence and ack numbers that follow', () => {
    expect([0, 1, 2].map(summary)).toEqual([
      'tcp 127.0.0.1:39888 > 127.0.0.1:9999 [SYN] len=0',
      'tcp 127.0.0.1:9999 > 127.0.0.1:39888 [SYN, ACK] len=0',
      'tcp 127.0.0.1:39888 > 127.0.0.1:9999 [ACK] len=0',
    ]);
    const [syn, synAck, ack] = parsed;
    expect(syn).toMatchObject({ tcpSeq: 2141694748, tcpAck: null, window: 65495 });
    expect(synAck).toMatchObject({ tcpSeq: 2724860260, tcpAck: syn!.tcpSeq! + 1 });
    expect(ack).toMatchObject({ tcpSeq: syn!.tcpSeq! + 1, tcpAck: synAck!.tcpSeq! + 1 });
  });

  test('data: the payload preview, and the real length of a segment the capture trimmed', () => {
    expect(summary(3)).toBe('tcp 127.0.0.1:39888 > 127.0.0.1:9999 [PSH, ACK] len=5');
    expect(parsed[3]!.data.toString()).toBe('hello');
    // 32768 bytes on the wire, 256 captured: len from the IP header, 64 bytes kept
    expect(FRAMES[5].length).toBe(256);
    expect(parsed[5]).toMatchObject({ len: 32768 });
    expect(parsed[5]!.data).toEqual(Buffer.alloc(64, 'x'));
    expect(parsed[4]!.tcpAck! - parsed[3]!.tcpSeq!).toBe(5);
  });

  test('RST: a close with data unread, and a refused connect', () => {
    expect(summary(9)).toBe('tcp 127.0.0.1:39888 > 127.0.0.1:9999 [RST, ACK] len=0');
    expect([12, 13].map(summary)).toEqual(['tcp 127.0.0.1:55242 > 127.0.0.1:1 [SYN] len=0', 'tcp 127.0.0.1:1 > 127.0.0.1:55242 [RST, ACK] len=0']);
    expect(parsed[13]).toMatchObject({ window: 0, tcpAck: parsed[12]!.tcpSeq! + 1 });
  });

  test('UDP over IPv6 and the ICMPv6 port unreachable it met', () => {
    expect(parsed[10]).toMatchObject({ proto: 'udp', dst: '[::1]:5000', flags: [], tcpSeq: null, tcpAck: null, window: null, len: 5 });
    expect(parsed[10]!.src).toMatch(/^\[::1\]:\d+$/);
    expect(parsed[10]!.data.toString()).toBe('dgram');
    expect(parsed[11]).toMatchObject({ proto: 'icmp', src: '::1', dst: '::1', icmp: 'destination unreachable (port)' });
  });

  test('anything else is not a packet', () => {
    expect(parseFrame(Buffer.alloc(10))).toBeNull();
    const arp = Buffer.from(FRAMES[0]);
    arp.writeUInt16BE(0x0806, 12);
    expect(parseFrame(arp)).toBeNull();
    expect(parseFrame(FRAMES[0].subarray(0, 30))).toBeNull();
  });
});

describe('addresses', () => {
  test.each([
    ['00000000000000000000000000000001', '::1'],
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['20010db8000100000001000000000001', '2001:db8:1:0:1::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000001000200030004', 'fe80::1:2:3:4'],
  ])('%s → %s', (hex, text) => {
    expect(formatIpv6(Buffer.from(hex, 'hex'), 0)).toBe(text);
  });
  test('/proc/net addresses are 32-bit words in host order', () => {
    expect(parseProcAddress('0100007F:270F')).toEqual({ address: '127.0.0.1', port: 9999, family: 4 });
    expect(parseProcAddress('00000000000000000000000001000000:1F90')).toEqual({ address: '::1', port: 8080, family: 6 });
  });
});

describe('parseSocketTable', () => {
  test('TCP states, queues, wildcard peers and inodes as /proc/net/tcp lists them', () => {
    const text = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:270F 00000000:0000 0A 00000000:00000003 00:00000000 00000000 300000        0 5551 1 0000000000000000 100 0 0 10 0
   1: 0100007F:270F 0100007F:9BD0 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   2: 0100007F:9BD2 0100007F:270F 01 00000000:00000012 00:00000000 00000000 300000        0 5560 1 0000000000000000 20 4 30 10 -1
`;
    expect(parseSocketTable(text, 'tcp')).toEqual([
      { proto: 'tcp', state: 'LISTEN', local: '127.0.0.1:9999', peer: '*:*', recvQ: 3, sendQ: 0, inode: 5551 },
      { proto: 'tcp', state: 'TIME_WAIT', local: '127.0.0.1:9999', peer: '127.0.0.1:39888', recvQ: 0, sendQ: 0, inode: 0 },
      { proto: 'tcp', state: 'ESTABLISHED', local: '127.0.0.1:39890', peer: '127.0.0.1:9999', recvQ: 18, sendQ: 0, inode: 5560 },
    ]);
  });
  test('UDP: unconnected sockets are UNCONN', () => {
    const text = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 0100007F:270F 00000000:0000 07 00000000:00000000 00:00000000 00000000 300000        0 777 2 0000000000000000 0
`;
    expect(parseSocketTable(text, 'udp')).toEqual([{ proto: 'udp', state: 'UNCONN', local: '127.0.0.1:9999', peer: '*:*', recvQ: 0, sendQ: 0, inode: 777 }]);
  });
});

describe('peekFlow: what attribution needs, without parsing', () => {
  test('a packet is a packet to both or to neither; the two directions of a flow are each other\'s reverse; only a SYN opens', () => {
    const arp = Buffer.from(FRAMES[0]);
    arp.writeUInt16BE(0x0806, 12);
    for (const frame of [...FRAMES, Buffer.alloc(10), arp, FRAMES[0].subarray(0, 30), FRAMES[10].subarray(0, 60)]) expect(peekFlow(frame) === null).toBe(parseFrame(frame) === null);
    const [syn, synAck, ack] = FRAMES.slice(0, 3).map((frame) => peekFlow(frame)!);
    expect(synAck.flow).toBe(syn.reverse);
    expect(ack.flow).toBe(syn.flow);
    expect([syn.opening, synAck.opening, ack.opening]).toEqual([true, false, false]);
    // another connection (client port 55242) is another flow
    expect(peekFlow(FRAMES[12])!.flow).not.toBe(syn.flow);
    expect(peekFlow(FRAMES[12])!.opening).toBe(true);
  });
});

describe('FrameRing', () => {
  const frame = (n: number) => Buffer.from([n, n + 1, n + 2]);
  test('numbers from 1, keeps the newest `capacity`, counts what it overwrote', () => {
    const ring = new FrameRing(3);
    expect(ring.since(0)).toEqual([]);
    for (let n = 1; n <= 7; n++) ring.push(n * 10, `r${n}`, frame(n));
    expect(ring.since(0).map((item) => item.seq)).toEqual([5, 6, 7]);
    expect(ring.since(5).map(({ at, run, frame }) => [at, run, [...frame]])).toEqual([[60, 'r6', [6, 7, 8]], [70, 'r7', [7, 8, 9]]]);
    expect(ring.since(7)).toEqual([]);
    expect(ring.since(100)).toEqual([]);
    expect(ring.dropped).toBe(4);
    expect(ring.last).toBe(7);
    expect(() => new FrameRing(0)).toThrow(/positive capacity/);
  });

  test('keeps a copy of each frame (at most FRAME_BYTES), and grows its storage with use, not with its capacity', () => {
    const ring = new FrameRing(2000);
    const big = Buffer.alloc(FRAME_BYTES + 100, 7);
    ring.push(1, null, big);
    big.fill(9);
    expect(ring.since(0)[0].frame).toEqual(Buffer.alloc(FRAME_BYTES, 7));
    const quiet = ring.bytes;
    expect(quiet).toBeLessThan(2000 * FRAME_BYTES / 10);
    for (let n = 2; n <= 2500; n++) ring.push(n, null, frame(n % 250));
    expect(ring.bytes).toBe(2000 * FRAME_BYTES);
    expect(ring.since(0).map((item) => [item.seq, item.at, item.frame[0]])).toEqual(Array.from({ length: 2000 }, (_, i) => [i + 501, i + 501, (i + 501) % 250]));
  });
});

describe('configuration', () => {
  test('RUNNER_WIRE=off turns capture off; RUNNER_WIRE_PACKETS sizes the ring; anything else is refused by name', () => {
    expect(loadConfig({}, {}).wire).toBe(true);
    expect(loadConfig({}, { RUNNER_WIRE: 'off', RUNNER_WIRE_PACKETS: '100' })).toMatchObject({ wire: false, limits: { wirePacketsPerSession: 100 } });
    expect(() => loadConfig({}, { RUNNER_WIRE: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { RUNNER_WIRE_PACKETS: '3' })).toThrow(/wirePacketsPerSession/);
  });
});

describe('the wire routes (fake backend, recorded frames)', () => {
  let handler: RunnerHandler;
  let server: Server;
  let base: string;
  const backend = new FakeBackend();

  beforeAll(async () => {
    handler = await createRunnerHandler({ config: { spareSessions: 0, logLevel: 'silent' }, backend: async () => backend });
    server = createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await handler.close();
  });

  const newSession = async () => {
    const { id } = (await (await fetch(`${base}/api/sessions`, { method: 'POST' })).json()) as { id: string };
    const session = [...backend.liveSessions].find((candidate) => candidate.id === id)!;
    return { id, feed: (frames: Buffer[]) => frames.forEach((frame) => session.wire.ingest(Date.now(), frame)) };
  };

  test('all kept packets, then only those after since; t counts from the session', async () => {
    const { id, feed } = await newSession();
    feed(FRAMES.slice(0, 4));
    const all = (await (await fetch(`${base}/api/sessions/${id}/wire`)).json()) as WireBody;
    expect(all.packets.map((packet) => [packet.seq, packet.flags.join(',')])).toEqual([[1, 'SYN'], [2, 'SYN,ACK'], [3, 'ACK'], [4, 'PSH,ACK']]);
    expect(all).toMatchObject({ next: 4, dropped: 0 });
    expect(all.packets[3]).toMatchObject({ data: Buffer.from('hello').toString('base64'), len: 5, run: null });
    expect(all.packets[0].t).toBeGreaterThanOrEqual(0);
    expect(all.packets[0].t).toBeLessThan(60_000);
    const later = (await (await fetch(`${base}/api/sessions/${id}/wire?since=2`)).json()) as WireBody;
    expect(later.packets.map((packet) => packet.seq)).toEqual([3, 4]);
  });

  test('follow: the backlog, then live packets, ending with the session', async () => {
    const { id, feed } = await newSession();
    feed(FRAMES.slice(0, 2));
    const response = await fetch(`${base}/api/sessions/${id}/wire?follow=1&since=1`);
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const packets = () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as WirePacket);
    while (packets().length < 1) text += (await reader.read()).value;
    feed(FRAMES.slice(2, 4));
    while (packets().length < 3) text += (await reader.read()).value;
    expect(packets().map((packet) => packet.seq)).toEqual([2, 3, 4]);
    expect((await fetch(`${base}/api/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(packets()).toHaveLength(3);
  });

  test('errors say what was wrong', async () => {
    const { id } = await newSession();
    const cases: Array<[string, string, number, RegExp]> = [
      ['GET', '/api/sessions/s-gone/wire', 404, /No session "s-gone"/],
      ['GET', '/api/sessions/s-gone/sockets', 404, /No session/],
      ['GET', `/api/sessions/${id}/wire?since=abc`, 400, /since must be/],
      ['GET', `/api/sessions/${id}/wire?follow=yes`, 400, /follow must be 1/],
      ['POST', `/api/sessions/${id}/wire`, 405, /use GET/],
    ];
    for (const [method, path, status, message] of cases) {
      const response = await fetch(base + path, { method, headers: method === 'POST' ? { 'content-type': 'application/json' } : {}, body: method === 'POST' ? '{}' : undefined });
      expect(response.status, path).toBe(status);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect(await (await fetch(`${base}/api/sessions/${id}/sockets`)).json()).toEqual({ sockets: [] });
  });
});
