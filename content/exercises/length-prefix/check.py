import struct

from checklib import connect, expect, recv_exact, run_checks, send_split

PORT = 9104


def frame(payload):
    return struct.pack('!I', len(payload)) + payload


def reply(sock):
    (size,) = struct.unpack('!I', recv_exact(sock, 4))
    return recv_exact(sock, size)


def one():
    with connect(PORT) as sock:
        sock.sendall(frame(b'hello'))
        return expect(reply(sock), b'olleh')


def split():
    message = frame(b'framing works')
    with connect(PORT) as sock:
        send_split(sock, message[:2], message[2:7], message[7:])
        return expect(reply(sock), b'skrow gnimarf')


def two_in_one():
    with connect(PORT) as sock:
        sock.sendall(frame(b'abc') + frame(b'xyz!'))
        return expect([reply(sock), reply(sock)], [b'cba', b'!zyx'])


run_checks([('one', one), ('split', split), ('two-in-one', two_in_one)])
