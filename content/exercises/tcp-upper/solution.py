import socket

sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9101))
sk.listen(5)
print('listening on 127.0.0.1:9101')
while True:
    conn, address = sk.accept()
    while True:
        data = conn.recv(1024)
        if not data:  # the client closed: serve the next one
            break
        conn.sendall(data.upper())
    conn.close()
