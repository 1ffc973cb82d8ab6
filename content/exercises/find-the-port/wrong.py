import socket

# The exercise's starting point: it runs, prints, and listens on the wrong port.
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9190))
sk.listen(5)
print('server started')
while True:
    conn, address = sk.accept()
    conn.sendall(b'ready\n')
    conn.close()
