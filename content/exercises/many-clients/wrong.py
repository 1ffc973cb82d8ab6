import socket

# Wrong on purpose: one client at a time; the others wait until it leaves.
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9105))
sk.listen(16)
print('listening on 127.0.0.1:9105')
while True:
    conn, address = sk.accept()
    pending = b''
    while data := conn.recv(1024):
        pending += data
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            conn.sendall(b'echo: ' + line + b'\n')
    conn.close()
