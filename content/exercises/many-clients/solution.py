import socket
import threading


def serve(conn):
    with conn:
        pending = b''
        while data := conn.recv(1024):
            pending += data
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                conn.sendall(b'echo: ' + line + b'\n')


sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9105))
sk.listen(16)
print('listening on 127.0.0.1:9105')
while True:
    conn, address = sk.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
