import subprocess

from checklib import connect, expect, recv_line, run_checks

PORT = 9109


def listening_sockets():
    table = subprocess.run(['ss', '-ltnH'], capture_output=True, text=True).stdout.split('\n')
    return ', '.join(line.split()[3] for line in table if line.strip()) or 'nothing'


def listening():
    try:
        connect(PORT).close()
    except ConnectionRefusedError:
        return False, f'nothing listens on 127.0.0.1:{PORT}; ss -ltn shows LISTEN on: {listening_sockets()}'
    return True, f'LISTEN on: {listening_sockets()}'


def greeting():
    with connect(PORT, wait=1) as sock:
        return expect(recv_line(sock), b'ready\n')


def three_in_a_row():
    lines = []
    for _ in range(3):
        with connect(PORT, wait=1) as sock:
            lines.append(recv_line(sock))
    return expect(lines, [b'ready\n'] * 3)


run_checks([('listening', listening), ('greeting', greeting), ('three-in-a-row', three_in_a_row)])
