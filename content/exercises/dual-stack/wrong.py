import socket

# Wrong on purpose: IPv4 loopback only, so ::1 is refused.
sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9107))
sk.listen(5)
print('listening on 127.0.0.1:9107')
while True:
    conn, address = sk.accept()
    conn.sendall(f'hello {address[0]}\n'.encode())
    conn.close()
