from checklib import connect, expect, recv_exact, run_checks, send_split

PORT = 9101


def reply():
    with connect(PORT) as sock:
        sock.sendall(b'hello')
        return expect(recv_exact(sock, 5), b'HELLO')


def split():
    with connect(PORT) as sock:
        send_split(sock, b'soc', b'ket')
        return expect(recv_exact(sock, 6), b'SOCKET')


def next_client():
    with connect(PORT, wait=1) as sock:
        sock.sendall(b'again')
        return expect(recv_exact(sock, 5), b'AGAIN')


run_checks([('reply', reply), ('split', split), ('next-client', next_client)])
