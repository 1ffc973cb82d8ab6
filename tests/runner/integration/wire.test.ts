/**
 * The wire over real HTTP against real bubblewrap: the packets a session's programs put on its
 * loopback (TCP handshake, data, close; UDP; RST for a refused connect), attributed to runs; the
 * session's sockets; the ring's bound under a flood; and no session seeing another's packets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningServer } from '../../../sandbox-runner/server.ts';
import type { SocketsBody, WireBody, WirePacket } from '../../../sandbox-runner/protocol.ts';
import { api, createSession, run, sleep, startBackground, startTestRunner } from '../support.ts';

let runner: RunningServer;
let base: string;
const RING = 200;

beforeAll(async () => {
  runner = await startTestRunner({ limits: { wirePacketsPerSession: RING } });
  base = runner.url;
});
afterAll(async () => {
  await runner.close();
});

const SERVER = `import socket
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9999))
sk.listen(5)
print('server waiting...', flush=True)
conn, addr = sk.accept()
print(conn.recv(1024).decode(), flush=True)
conn.sendall('不要回答'.encode())
conn.close()
print('server waiting...', flush=True)
sk.accept()
`;
const CLIENT = `import socket
sk = socket.socket()
sk.connect(('127.0.0.1', 9999))
sk.sendall('请求占领地球'.encode())
print(sk.recv(1024).decode())
sk.close()
`;

async function wire(session: string, since?: number): Promise<WireBody> {
  const response = await api(base, 'GET', `/api/sessions/${session}/wire${since === undefined ? '' : `?since=${since}`}`);
  expect(response.status).toBe(200);
  return (await response.json()) as WireBody;
}

async function sockets(session: string): Promise<SocketsBody['sockets']> {
  const response = await api(base, 'GET', `/api/sessions/${session}/sockets`);
  expect(response.status).toBe(200);
  return ((await response.json()) as SocketsBody).sockets;
}

/** Waits (generously) until the session's wire holds packets that satisfy the predicate. */
async function waitForWire(session: string, done: (packets: WirePacket[]) => boolean, timeoutMs = 15_000): Promise<WirePacket[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { packets } = await wire(session);
    if (done(packets)) return packets;
    if (Date.now() > deadline) throw new Error(`wire not as expected in ${timeoutMs} ms: ${JSON.stringify(packets.map(describePacket))}`);
    await sleep(50);
  }
}

const describePacket = (packet: WirePacket) => `${packet.src} > ${packet.dst} ${packet.flags.join(',')} len=${packet.len}`;
const text = (packet: WirePacket) => Buffer.from(packet.data, 'base64').toString();

describe('a TCP server and client in one session', () => {
  test('SYN, SYN/ACK, ACK, the data, the FINs, in order, each attributed to its run; LISTEN then TIME_WAIT', async () => {
    const session = await createSession(base);
    const server = await startBackground(base, { language: 'python', session, code: SERVER, timeoutMs: 60_000 }, (output) => output.includes('server waiting'));
    const listening = await sockets(session);
    expect(listening).toContainEqual(expect.objectContaining({ proto: 'tcp', state: 'LISTEN', local: '127.0.0.1:9999', peer: '*:*', run: server.runId }));
    const client = await run(base, { language: 'python', session, code: CLIENT });
    expect(client.stdout).toBe('不要回答\n');

    const packets = await waitForWire(session, (packets) => packets.filter((packet) => packet.flags.includes('FIN')).length >= 2 && packets.some((p) => p.flags.includes('FIN') && p.dst === '127.0.0.1:9999'));
    const flow = packets.filter((packet) => packet.proto === 'tcp');
    const clientEnd = flow[0].src;
    expect(flow[0]).toMatchObject({ dst: '127.0.0.1:9999', flags: ['SYN'], tcpAck: null, len: 0 });
    expect(clientEnd).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(flow[1]).toMatchObject({ src: '127.0.0.1:9999', dst: clientEnd, flags: ['SYN', 'ACK'], tcpAck: flow[0].tcpSeq! + 1 });
    expect(flow[2]).toMatchObject({ src: clientEnd, flags: ['ACK'], tcpAck: flow[1].tcpSeq! + 1 });
    const request = flow.find((packet) => packet.len > 0 && packet.src === clientEnd)!;
    expect(text(request)).toBe('请求占领地球');
    expect(request.len).toBe(Buffer.byteLength('请求占领地球'));
    expect(request.flags).toContain('PSH');
    const reply = flow.find((packet) => packet.len > 0 && packet.src === '127.0.0.1:9999')!;
    expect(text(reply)).toBe('不要回答');
    const serverFin = flow.findIndex((packet) => packet.src === '127.0.0.1:9999' && packet.flags.includes('FIN'));
    const clientFin = flow.findIndex((packet) => packet.src === clientEnd && packet.flags.includes('FIN'));
    // Both close; which FIN goes first depends on which process the kernel runs first.
    expect(flow.indexOf(reply)).toBeLessThan(Math.min(serverFin, clientFin));
    expect(flow.at(-1)!.flags).toEqual(['ACK']);
    const [closedFirst, closedLast] = serverFin < clientFin ? ['127.0.0.1:9999', clientEnd] : [clientEnd, '127.0.0.1:9999'];
    // seq 1, 2, 3, ... in order, time going forward, each packet once (no duplicate of lo's echo)
    expect(packets.map((packet) => packet.seq)).toEqual(packets.map((_, i) => i + 1));
    for (let i = 1; i < packets.length; i++) expect(packets[i].t).toBeGreaterThanOrEqual(packets[i - 1].t);
    expect(new Set(flow.map((p) => `${p.src}>${p.dst}:${p.tcpSeq}:${p.tcpAck}:${p.flags}`)).size).toBe(flow.length);
    for (const packet of flow) expect(packet.window).toBeGreaterThan(0);
    // attribution: the server's packets to the server run, the client's to the client run
    expect(flow.filter((p) => p.src === '127.0.0.1:9999').map((p) => p.run)).toEqual(flow.filter((p) => p.src === '127.0.0.1:9999').map(() => server.runId));
    expect(flow.filter((p) => p.src === clientEnd).map((p) => p.run)).toEqual(flow.filter((p) => p.src === clientEnd).map(() => client.runId));

    // the side that closed first waits in TIME_WAIT
    const after = await sockets(session);
    expect(after).toContainEqual(expect.objectContaining({ proto: 'tcp', state: 'TIME_WAIT', local: closedFirst, peer: closedLast, run: null }));
    expect(after).toContainEqual(expect.objectContaining({ state: 'LISTEN', local: '127.0.0.1:9999', run: server.runId }));

    // since: only what came after
    const all = await wire(session);
    expect(all.next).toBe(packets.at(-1)!.seq);
    expect((await wire(session, all.next - 2)).packets.map((p) => p.seq)).toEqual([all.next - 1, all.next]);
    expect((await wire(session, all.next)).packets).toEqual([]);
    server.abort();
    await server.done.catch(() => {});
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
});

describe('other protocols', () => {
  test('UDP: a datagram each way, no handshake; ICMP port unreachable to a closed port; IPv6 addresses', async () => {
    const session = await createSession(base);
    const code = `import socket
srv = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
srv.bind(('::1', 9999))
cli = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
cli.sendto(b'hello udp', ('::1', 9999))
data, addr = srv.recvfrom(1024)
srv.sendto(data.upper(), addr)
print(cli.recvfrom(1024)[0])
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.sendto(b'anyone?', ('127.0.0.1', 9))
`;
    const result = await run(base, { language: 'python', session, code });
    expect(result.stdout).toBe("b'HELLO UDP'\n");
    const packets = await waitForWire(session, (packets) => packets.some((p) => p.proto === 'icmp'));
    const udp = packets.filter((p) => p.proto === 'udp');
    expect(udp[0]).toMatchObject({ dst: '[::1]:9999', flags: [], tcpSeq: null, tcpAck: null, window: null, len: 9, run: result.runId });
    expect(text(udp[0])).toBe('hello udp');
    expect(udp[1]).toMatchObject({ src: '[::1]:9999', dst: udp[0].src, len: 9 });
    expect(text(udp[1])).toBe('HELLO UDP');
    expect(packets.some((p) => p.proto === 'tcp')).toBe(false);
    expect(packets.find((p) => p.proto === 'icmp')).toMatchObject({ src: '127.0.0.1', dst: '127.0.0.1', icmp: 'destination unreachable (port)' });
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test('connect_ex to a closed port: a SYN answered by RST/ACK, and 111', async () => {
    const session = await createSession(base);
    const result = await run(base, { language: 'python', session, code: "import socket\nprint(socket.socket().connect_ex(('127.0.0.1', 9998)))" });
    expect(result.stdout).toBe('111\n');
    const packets = await waitForWire(session, (packets) => packets.some((p) => p.flags.includes('RST')));
    expect(packets.map((p) => [p.dst.endsWith(':9998') ? 'to' : 'from', p.flags.join('+')])).toEqual([['to', 'SYN'], ['from', 'RST+ACK']]);
    expect(packets[0].run).toBe(result.runId);
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });
});

/**
 * 5020 datagrams (and nothing else) on the loopback: a first 20 make the flow known, then 5000 in a
 * few ms, far past the 250 packets the capture reads in an eighth of a second, overwrite the ring.
 */
const FLOOD = `import socket, time
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(('127.0.0.1', 9))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b'x' * 1000, ('127.0.0.1', 9))
time.sleep(0.5)
for i in range(5000):
    s.sendto(b'x' * 1000, ('127.0.0.1', 9))
print('sent')
`;
const FLOOD_PACKETS = 5020;

describe('bounds and isolation', () => {
  test(`a flood keeps the last ${RING} packets and counts the rest as dropped; the runner answers meanwhile`, async () => {
    const session = await createSession(base);
    const result = await run(base, { language: 'python', session, code: FLOOD });
    expect(result.stdout).toBe('sent\n');
    await sleep(1_500); // the capture reports kernel drops once a second
    const body = await wire(session);
    expect(body.packets.length).toBe(RING);
    expect(body.dropped).toBeGreaterThan(0);
    expect(body.next).toBe(body.packets.at(-1)!.seq);
    expect(body.next).toBeGreaterThan(RING); // the ring was overwritten, beyond what the kernel dropped
    expect(body.packets.every((packet) => packet.run === result.runId)).toBe(true);
    expect((await api(base, 'GET', '/api/health')).status).toBe(200);
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test('past the capture budget every packet is kept or counted as dropped, none twice, and the capture resumes in full after the flood', async () => {
    const session = await createSession(base);
    expect((await run(base, { language: 'python', session, code: FLOOD })).stdout).toBe('sent\n');
    // Packets numbered (next) plus those missed (dropped less the numbered ones the ring overwrote).
    const accounted = (body: WireBody) => body.next + body.dropped - Math.max(0, body.next - RING);
    const deadline = Date.now() + 15_000;
    let after = await wire(session);
    while (accounted(after) < FLOOD_PACKETS && Date.now() < deadline) {
      await sleep(200); // the capture reads the rest over the next slices and reports drops once a second
      after = await wire(session);
    }
    await sleep(1_500); // one more drop report: nothing may be counted twice
    after = await wire(session);
    expect(after.dropped).toBeGreaterThan(0);
    expect(accounted(after)).toBe(FLOOD_PACKETS);

    // The capture resumes in full: 512 KiB in one send, which leaves in 64 KiB segments within
    // microseconds (the shrunk buffer of a paused capture holds one; a resumed one all), is all kept.
    const burst = `import socket
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
srv.bind(('127.0.0.1', 9000)); srv.listen()
c = socket.create_connection(('127.0.0.1', 9000)); a, _ = srv.accept()
c.sendall(b'x' * (512 << 10))
got = 0
while got < 512 << 10: got += len(a.recv(1 << 20))
print(got)
`;
    expect((await run(base, { language: 'python', session, code: burst })).stdout).toBe(`${512 << 10}\n`);
    const sent = (packets: WirePacket[]) => packets.filter((p) => p.seq > after.next && p.dst === '127.0.0.1:9000').reduce((sum, p) => sum + p.len, 0);
    expect(sent(await waitForWire(session, (packets) => sent(packets) >= 512 << 10))).toBe(512 << 10);
    await sleep(1_500);
    // Dropped grew by the flood's kept packets the burst overwrote in the ring, and by nothing missed.
    const kept = (await wire(session)).next - after.next;
    const overwritten = Math.max(0, after.next + kept - RING) - Math.max(0, after.next - RING);
    expect((await wire(session)).dropped).toBe(after.dropped + overwritten);
    await api(base, 'DELETE', `/api/sessions/${session}`);
  });

  test('another session sees none of these packets, and an unknown session is a 404 with the error body', async () => {
    const busy = await createSession(base);
    const quiet = await createSession(base);
    await run(base, { language: 'python', session: busy, code: "import socket\nsocket.socket().connect_ex(('127.0.0.1', 7))" });
    await waitForWire(busy, (packets) => packets.length >= 2);
    await run(base, { language: 'python', session: quiet, code: 'print(1)' });
    await sleep(300);
    expect((await wire(quiet)).packets).toEqual([]);
    expect(await sockets(quiet)).toEqual([]);
    for (const what of ['wire', 'sockets', 'wire?follow=1']) {
      const response = await api(base, 'GET', `/api/sessions/s-no-such.local/${what}`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not-found');
    }
    const bad = await api(base, 'GET', `/api/sessions/${quiet}/wire?since=-1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/since must be/);
    await api(base, 'DELETE', `/api/sessions/${busy}`);
    await api(base, 'DELETE', `/api/sessions/${quiet}`);
  });
});

describe('the capture is out of the reader\'s reach', () => {
  test('a program cannot find, signal, trace or open raw sockets to it, and capture goes on', async () => {
    const session = await createSession(base);
    const code = `import ctypes, os, signal, socket
me = os.getpid()
seen = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
names = [open(f'/proc/{p}/cmdline', 'rb').read() for p in seen if os.path.exists(f'/proc/{p}/cmdline')]
print('helper visible:', any(b'capture-helper' in n or b'python3\\0-S' in n for n in names))
libc = ctypes.CDLL(None, use_errno=True)
traced = [p for p in seen if p != me and libc.ptrace(16, p, 0, 0) == 0]  # PTRACE_ATTACH
print('traced:', traced)
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    print('raw socket: yes')
except OSError:
    print('raw socket: refused')
print(socket.socket().connect_ex(('127.0.0.1', 5)), flush=True)
for p in seen:  # everything it can see, its own sandbox's init included (which ends the run)
    if p != me:
        try: os.kill(p, signal.SIGKILL)
        except OSError: pass
`;
    const result = await run(base, { language: 'python', session, code });
    expect(result.stdout).toBe('helper visible: False\ntraced: []\nraw socket: refused\n111\n');
    // the capture still runs, for this session and for a new one
    await waitForWire(session, (packets) => packets.some((p) => p.dst === '127.0.0.1:5'));
    const other = await createSession(base);
    await run(base, { language: 'python', session: other, code: "import socket\nsocket.socket().connect_ex(('127.0.0.1', 6))" });
    await waitForWire(other, (packets) => packets.some((p) => p.flags.includes('RST')));
    await api(base, 'DELETE', `/api/sessions/${session}`);
    await api(base, 'DELETE', `/api/sessions/${other}`);
  });
});

describe('follow', () => {
  test('streams the packets after since, then each as it happens, and ends when the session ends', async () => {
    const session = await createSession(base);
    await run(base, { language: 'python', session, code: "import socket\nsocket.socket().connect_ex(('127.0.0.1', 7))" });
    const first = await waitForWire(session, (packets) => packets.length >= 2);
    const response = await fetch(`${base}/api/sessions/${session}/wire?follow=1&since=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const lines = () => received.split('\n').filter(Boolean).map((line) => JSON.parse(line) as WirePacket);
    const readUntil = async (done: () => boolean) => {
      while (!done()) {
        const { value, done: ended } = await reader.read();
        if (ended) return true;
        received += value;
      }
      return false;
    };
    await readUntil(() => lines().length >= 1);
    expect(lines()[0]).toEqual(first[1]);
    await run(base, { language: 'python', session, code: "import socket\nsocket.socket().connect_ex(('127.0.0.1', 8))" });
    await readUntil(() => lines().some((p) => p.dst === '127.0.0.1:8'));
    expect(lines().map((p) => p.seq)).toEqual(lines().map((_, i) => i + 2));
    await api(base, 'DELETE', `/api/sessions/${session}`);
    expect(await readUntil(() => false)).toBe(true);
  });
});
