import socket

sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9109))
sk.listen(5)
print('server started')
while True:
    conn, address = sk.accept()
    conn.sendall(b'ready\n')
    conn.close()
