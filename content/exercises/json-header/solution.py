import json
import socket
import struct


def recv_exact(conn, count):
    data = b''
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def reply(conn, status, body=b''):
    header = json.dumps({'status': status, 'length': len(body)}).encode()
    conn.sendall(struct.pack('!H', len(header)) + header + body)


ACTIONS = {'upper': lambda body: body.upper(), 'reverse': lambda body: body[::-1]}

sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9106))
sk.listen(5)
print('listening on 127.0.0.1:9106')
while True:
    conn, address = sk.accept()
    try:
        while True:
            (size,) = struct.unpack('!H', recv_exact(conn, 2))
            header = json.loads(recv_exact(conn, size))
            body = recv_exact(conn, header['length'])
            action = ACTIONS.get(header.get('action'))
            if action:
                reply(conn, 'ok', action(body))
            else:
                reply(conn, 'error')
    except EOFError:
        pass
    conn.close()
