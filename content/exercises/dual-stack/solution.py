import socket

# One socket for both families: IPv4 clients appear as ::ffff:127.0.0.1.
sk = socket.create_server(('::', 9107), family=socket.AF_INET6, dualstack_ipv6=True)
print('listening on [::]:9107 (IPv4 and IPv6)')
while True:
    conn, address = sk.accept()
    conn.sendall(f'hello {address[0]}\n'.encode())
    conn.close()
