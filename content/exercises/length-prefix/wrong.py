import socket
import struct

# Wrong on purpose: takes whatever one recv returns as one whole message.
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9104))
sk.listen(5)
print('listening on 127.0.0.1:9104')
while True:
    conn, address = sk.accept()
    while data := conn.recv(1024):
        answer = data[4:][::-1]
        conn.sendall(struct.pack('!I', len(answer)) + answer)
    conn.close()
