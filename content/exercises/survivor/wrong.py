import socket

# Wrong on purpose: counts only the first recv, and one reset client kills the server.
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9108))
sk.listen(5)
print('listening on 127.0.0.1:9108')
while True:
    conn, address = sk.accept()
    data = conn.recv(1024)
    conn.sendall(f'{len(data)}\n'.encode())
    conn.close()
