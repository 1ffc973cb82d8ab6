import select

from checklib import PAUSE, connect, recv_all, run_checks

PORT = 9103
REQUEST = b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'


def fetch():
    with connect(PORT) as sock:
        sock.sendall(REQUEST)
        return recv_all(sock)


def parts(response):
    head, _, body = response.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(':') for line in lines[1:])}
    return lines[0], headers, body


def status():
    line, _, _ = parts(fetch())
    return line == 'HTTP/1.1 200 OK', f'status line {line!r}'


def length():
    _, headers, body = parts(fetch())
    declared = headers.get('content-length')
    ok = body == b'hello' and declared == str(len(body))
    return ok, f'Content-Length {declared!r}, body {body!r}'


def whole_request():
    with connect(PORT) as sock:
        sock.sendall(REQUEST[:16])
        early, _, _ = select.select([sock], [], [], PAUSE * 3)
        if early:
            return False, f'answered before the request was complete (after {REQUEST[:16]!r})'
        sock.sendall(REQUEST[16:])
        line, _, body = parts(recv_all(sock))
        return line == 'HTTP/1.1 200 OK' and body == b'hello', f'status line {line!r}, body {body!r}'


def again():
    line, _, _ = parts(fetch())
    return line == 'HTTP/1.1 200 OK', f'status line {line!r}'


run_checks([('status', status), ('length', length), ('whole-request', whole_request), ('again', again)])
