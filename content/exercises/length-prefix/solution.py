import socket
import struct


def recv_exact(conn, count):
    data = b''
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError('the client closed mid-message')
        data += chunk
    return data


sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9104))
sk.listen(5)
print('listening on 127.0.0.1:9104')
while True:
    conn, address = sk.accept()
    try:
        while True:
            (size,) = struct.unpack('!I', recv_exact(conn, 4))
            payload = recv_exact(conn, size)
            answer = payload[::-1]
            conn.sendall(struct.pack('!I', len(answer)) + answer)
    except EOFError:
        pass
    conn.close()
