import socket

from checklib import connect, recv_line, run_checks

PORT = 9107


def greeting(host, family):
    with connect(PORT, host=host, family=family) as sock:
        return recv_line(sock).decode(errors='replace')


def ipv4():
    line = greeting('127.0.0.1', socket.AF_INET)
    return '127.0.0.1' in line, f'got {line!r}'


def ipv6():
    line = greeting('::1', socket.AF_INET6)
    return '::1' in line, f'got {line!r}'


def localhost():
    results = []
    for family, _, _, _, address in socket.getaddrinfo('localhost', PORT, type=socket.SOCK_STREAM):
        try:
            greeting(address[0], family)
            results.append(f'{address[0]} ok')
        except OSError as error:
            results.append(f'{address[0]}: {type(error).__name__}')
    return all(result.endswith(' ok') for result in results), ', '.join(results)


run_checks([('ipv4', ipv4), ('ipv6', ipv6), ('localhost', localhost)])
