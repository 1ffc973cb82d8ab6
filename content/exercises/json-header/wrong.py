import json
import socket
import struct

# Wrong on purpose: one recv is taken to be one whole request.
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9106))
sk.listen(5)
print('listening on 127.0.0.1:9106')
while True:
    conn, address = sk.accept()
    while data := conn.recv(4096):
        (size,) = struct.unpack('!H', data[:2])
        header = json.loads(data[2:2 + size])
        body = data[2 + size:]
        answer = body.upper() if header['action'] == 'upper' else body[::-1]
        head = json.dumps({'status': 'ok', 'length': len(answer)}).encode()
        conn.sendall(struct.pack('!H', len(head)) + head + answer)
    conn.close()
