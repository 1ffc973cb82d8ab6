import socket

sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9108))
sk.listen(5)
print('listening on 127.0.0.1:9108')
while True:
    conn, address = sk.accept()
    try:
        total = 0
        while data := conn.recv(1024):  # b'': the client has shut down its sending side
            total += len(data)
        conn.sendall(f'{total}\n'.encode())
    except (ConnectionResetError, BrokenPipeError) as error:
        print(address, 'left abruptly:', error)
    finally:
        conn.close()
