"""Helpers for exercise checkers (docs/authoring.md, "Exercises").

A checker prints one JSON line per check: {"check": key, "ok": true|false, "detail": "..."}.
`run_checks` runs check functions in order and prints those lines; a check that raises fails,
with the exception as its detail. A client exercise's checker calls `ready()` once it listens.
"""
import json
import socket
import time

PAUSE = 0.3  # between the pieces of a split message, so that they travel as separate segments


def report(key, ok, detail=''):
    print(json.dumps({'check': key, 'ok': bool(ok), 'detail': detail}, ensure_ascii=False), flush=True)


def ready():
    print(json.dumps({'ready': True}), flush=True)


def run_checks(checks):
    """checks: [(key, function)]; a function returns (ok, detail) or raises."""
    for key, check in checks:
        try:
            ok, detail = check()
        except Exception as error:  # the reader's program may do anything: report it, go on
            ok, detail = False, f'{type(error).__name__}: {error}'
        report(key, ok, detail)


def connect(port, host='127.0.0.1', family=socket.AF_INET, wait=5.0, timeout=5.0):
    """A TCP connection, retried while refused (the reader's server may still be starting)."""
    deadline = time.monotonic() + wait
    while True:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
        except ConnectionRefusedError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
            continue
        # Small writes leave at once, each in its own segment.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def send_split(sock, *pieces):
    """Sends the pieces one by one, pausing between them: the peer sees them arrive apart."""
    for index, piece in enumerate(pieces):
        if index:
            time.sleep(PAUSE)
        sock.sendall(piece)


def recv_exact(sock, count):
    data = b''
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError(f'the connection closed after {len(data)} of {count} bytes: {data!r}')
        data += chunk
    return data


def recv_line(sock):
    data = b''
    while not data.endswith(b'\n'):
        chunk = sock.recv(1)
        if not chunk:
            raise EOFError(f'the connection closed before a newline; got {data!r}')
        data += chunk
    return data


def recv_all(sock):
    """Everything until the peer closes."""
    data = b''
    while chunk := sock.recv(4096):
        data += chunk
    return data


def expect(got, wanted):
    return got == wanted, f'got {got!r}' + ('' if got == wanted else f', expected {wanted!r}')
