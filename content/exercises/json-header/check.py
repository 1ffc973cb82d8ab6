import json
import struct

from checklib import connect, expect, recv_exact, run_checks, send_split

PORT = 9106


def request(action, body):
    header = json.dumps({'action': action, 'length': len(body)}).encode()
    return struct.pack('!H', len(header)) + header + body


def response(sock):
    (size,) = struct.unpack('!H', recv_exact(sock, 2))
    header = json.loads(recv_exact(sock, size))
    body = recv_exact(sock, header.get('length', 0))
    return header.get('status'), header.get('length'), body


def upper():
    with connect(PORT) as sock:
        sock.sendall(request('upper', b'hello, protocol'))
        return expect(response(sock), ('ok', 15, b'HELLO, PROTOCOL'))


def two_requests():
    with connect(PORT) as sock:
        sock.sendall(request('upper', b'abc') + request('reverse', b'stressed'))
        return expect([response(sock), response(sock)], [('ok', 3, b'ABC'), ('ok', 8, b'desserts')])


def split():
    message = request('reverse', b'piece by piece')
    with connect(PORT) as sock:
        send_split(sock, message[:1], message[1:12], message[12:-4], message[-4:])
        return expect(response(sock), ('ok', 14, b'eceip yb eceip'))


def unknown_action():
    with connect(PORT) as sock:
        sock.sendall(request('dance', b'?'))
        status, _, _ = response(sock)
        sock.sendall(request('upper', b'ok'))
        return expect([status, response(sock)], ['error', ('ok', 2, b'OK')])


run_checks([('upper', upper), ('two-requests', two_requests), ('split', split), ('unknown-action', unknown_action)])
