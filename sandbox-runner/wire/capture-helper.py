"""
The runner's packet capture: ONE process per runner, root on the host, outside every sandbox.

Commands on stdin, one per line:
  open <key> <netns path>   capture the loopback of that network namespace as session <key>
  close <key>               stop capturing it
Records on stdout, each `>IBI` (body length, kind, key) then the body:
  kind 1 packet: `>dI` (capture time, epoch seconds; length as captured) + the first bytes
  kind 2 drops:  `>I` packets the kernel dropped for this key since the last report
  kind 3 error:  a UTF-8 message (the open failed)
Each packet on `lo` passes the capture twice (sent, then received): the kernel skips the socket for
sent packets (PACKET_IGNORE_OUTGOING: no copy of them is made at all) and a filter trims each
received one to SNAP bytes, so a flood of large segments costs the runner headers, not payloads.
A session's socket is read for at most RATE packets a second, in eighths. A session over its
budget for the eighth is not read until the next one, and its socket's buffer is shrunk meanwhile
so that the kernel counts each further packet as a drop (reported) before copying it: the
transfer that floods pays almost nothing for the capture, and one flood cannot take the helper's
CPU from the other sessions.
"""
import ctypes, os, resource, selectors, signal, socket, struct, sys, time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
SO_RCVBUF = 8
SO_RCVBUFFORCE = 33
RCVBUF = 1 << 20  # while reading
PAUSED_RCVBUF = 1  # over budget: the kernel makes it its minimum (a few small packets)
SNAP = 256  # Ethernet 14 + IP up to 60 + TCP up to 60 + 64 payload bytes, rounded up
KIND_PACKET, KIND_DROPS, KIND_ERROR = 1, 2, 3
RATE = 2000  # packets read per session per second, at most (the ring keeps 2000)
SLICES = 8  # the budget is given out per 1/SLICES of a second

libc = ctypes.CDLL(None, use_errno=True)
# ld pkttype; jeq OUTGOING ? ret 0 : ret SNAP (classic BPF, SKF_AD_OFF + SKF_AD_PKTTYPE = -4096 + 4)
FILTER = [(0x30, 0, 0, (-4096 + 4) & 0xFFFFFFFF), (0x15, 0, 1, PACKET_OUTGOING), (0x06, 0, 0, 0), (0x06, 0, 0, SNAP)]
filter_bytes = ctypes.create_string_buffer(b''.join(struct.pack('HBBI', *insn) for insn in FILTER))
FPROG = struct.pack('HL', len(FILTER), ctypes.addressof(filter_bytes))

own_netns = os.open('/proc/self/ns/net', os.O_RDONLY)
out = sys.stdout.buffer
selector = selectors.DefaultSelector()
sockets = {}  # key -> socket
read_this_slice = {}  # key -> packets read since the last slice began
paused = set()  # keys over budget in this slice (not polled until the next)
# A packet's record: `>IBI` (body length, kind, key), then its body: `>dI` (time, length) + the frame.
RECORD = struct.Struct('>IBIdI')
RECORD_HEADER = RECORD.size
PACKET_BODY = RECORD_HEADER - 9
BATCH = 64
batch = memoryview(bytearray(BATCH * (RECORD_HEADER + SNAP)))


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), 'setns: ' + os.strerror(ctypes.get_errno()))


def record(kind, key, body):
    out.write(struct.pack('>IBI', len(body), kind, key) + body)


def open_capture(key, path):
    fd = os.open(path, os.O_RDONLY)
    try:
        setns(fd)
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        finally:
            setns(own_netns)
    finally:
        os.close(fd)
    sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, FPROG)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    sock.bind(('lo', 0))
    # What passed before the filter was attached is not counted.
    sock.setblocking(False)
    while True:
        try:
            sock.recv(1)
        except BlockingIOError:
            break
    sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    sockets[key] = sock
    selector.register(sock, selectors.EVENT_READ, key)


def close_capture(key):
    sock = sockets.pop(key, None)
    read_this_slice.pop(key, None)
    if sock is not None:
        report_drops(key, sock)
        if key in paused:
            paused.discard(key)
        else:
            selector.unregister(sock)
        sock.close()


def report_drops(key, sock):
    _, drops = struct.unpack('II', sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    if drops:
        record(KIND_DROPS, key, struct.pack('>I', drops))


def command(line):
    parts = line.split()
    if not parts:
        return
    key = int(parts[1])
    if parts[0] == 'open' and len(parts) == 3:
        try:
            open_capture(key, parts[2])
        except OSError as error:
            record(KIND_ERROR, key, str(error).encode())
    elif parts[0] == 'close':
        close_capture(key)


def read_packets(key, sock):
    # Each packet is read straight into its record (header, then the frame) in one batch buffer.
    end = 0
    for _ in range(BATCH):  # then let the other sessions have a turn
        try:
            size = sock.recv_into(batch[end + RECORD_HEADER:end + RECORD_HEADER + SNAP], SNAP, socket.MSG_TRUNC)
        except BlockingIOError:
            break
        kept = min(size, SNAP)
        RECORD.pack_into(batch, end, PACKET_BODY + kept, KIND_PACKET, key, time.time(), size)
        end += RECORD_HEADER + kept
        read_this_slice[key] = read_this_slice.get(key, 0) + 1
        if read_this_slice[key] >= RATE // SLICES:
            pause(key, sock)
            break
    out.write(batch[:end])


def pause(key, sock):
    """Over budget until the next slice: not polled, and the kernel drops (and counts) what comes."""
    selector.unregister(sock)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, PAUSED_RCVBUF)
    paused.add(key)


def next_slice():
    for key in paused:
        sock = sockets[key]
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        selector.register(sock, selectors.EVENT_READ, key)
    paused.clear()
    read_this_slice.clear()


def report_all_drops():
    for key, sock in sockets.items():
        report_drops(key, sock)


def main():
    # A SIGTERM to the runner's whole group or cgroup (systemd's KillMode=control-group) must not
    # end the capture under a draining runner: it ends when the runner goes (end of stdin).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # One socket per session: a runner may hold a thousand sessions.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.set_blocking(0, False)
    selector.register(0, selectors.EVENT_READ, None)
    pending = b''
    last_slice = last_stats = time.monotonic()
    while True:
        for event, _ in selector.select(timeout=1.0 / SLICES):
            if event.data is None:
                data = os.read(0, 65536)
                if not data:
                    return  # the runner has gone
                pending += data
                *lines, pending = pending.split(b'\n')
                for line in lines:
                    command(line.decode())
            else:
                read_packets(event.data, event.fileobj)
        now = time.monotonic()
        if now - last_slice >= 1.0 / SLICES:
            last_slice = now
            next_slice()
        if now - last_stats >= 1.0:
            last_stats = now
            report_all_drops()
        out.flush()


main()
