from checklib import connect, expect, recv_line, run_checks, send_split

PORT = 9105


def concurrent():
    clients = [connect(PORT) for _ in range(3)]
    try:
        got = []
        for index in (2, 0, 1):  # the newest first: a one-at-a-time server is still busy with the first
            clients[index].sendall(f'client {index}\n'.encode())
            got.append(recv_line(clients[index]))
        return expect(got, [b'echo: client 2\n', b'echo: client 0\n', b'echo: client 1\n'])
    finally:
        for sock in clients:
            sock.close()


def split_line():
    with connect(PORT) as sock:
        send_split(sock, b'hel', b'lo\n')
        return expect(recv_line(sock), b'echo: hello\n')


def early_close():
    connect(PORT).close()
    with connect(PORT, wait=1) as sock:
        sock.sendall(b'still there?\n')
        return expect(recv_line(sock), b'echo: still there?\n')


run_checks([('concurrent', concurrent), ('split-line', split_line), ('early-close', early_close)])
