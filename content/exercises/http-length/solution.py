import socket

sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', 9103))
sk.listen(5)
print('serving http://127.0.0.1:9103/')
while True:
    conn, address = sk.accept()
    request = b''
    while b'\r\n\r\n' not in request:  # the header ends with an empty line
        chunk = conn.recv(1024)
        if not chunk:
            break
        request += chunk
    body = b'hello'
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n'
                 + b'Content-Length: ' + str(len(body)).encode() + b'\r\nConnection: close\r\n\r\n' + body)
    conn.close()
