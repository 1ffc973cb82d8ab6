import socket
import struct
import time

from checklib import connect, expect, recv_all, run_checks, send_split

PORT = 9108


def count(*pieces, wait=5.0):
    with connect(PORT, wait=wait) as sock:
        send_split(sock, *pieces)
        sock.shutdown(socket.SHUT_WR)  # "I am done sending": the server's recv returns b''
        return recv_all(sock)


def half_close():
    return expect(count(b'one ', b'two ', b'three'), b'13\n')


def after_reset():
    sock = connect(PORT)
    time.sleep(0.3)  # let the server start waiting in recv
    # Linger on, timeout 0: close() sends RST instead of FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    sock.close()
    return expect(count(b'are you alive?', wait=1.0), b'14\n')


def after_silence():
    connect(PORT).close()
    return expect(count(b'hello', wait=1.0), b'5\n')


run_checks([('half-close', half_close), ('after-reset', after_reset), ('after-silence', after_silence)])
