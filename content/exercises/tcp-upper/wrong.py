import socket

# Wrong on purpose: one recv, one reply, one client, then the server ends.
sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9101))
sk.listen(5)
print('listening on 127.0.0.1:9101')
conn, address = sk.accept()
conn.sendall(conn.recv(1024).upper())
conn.close()
