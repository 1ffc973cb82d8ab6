import socket

# Wrong on purpose: the article's server: one recv, no headers.
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9103))
sk.listen(5)
print('serving http://127.0.0.1:9103/')
while True:
    conn, address = sk.accept()
    conn.recv(1024)
    conn.sendall(b'HTTP/1.1 200 OK\r\n\r\nhello')
    conn.close()
