# The checker is the server: it answers hello with a token the client must send back.
import random
import socket

from checklib import ready, report

PORT = 9102
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(('127.0.0.1', PORT))
ready()

sock.settimeout(15)
try:
    data, client = sock.recvfrom(1024)
except TimeoutError:
    report('hello', False, 'no datagram arrived within 15 s')
    report('thanks', False, 'no hello, so no token was sent')
    raise SystemExit
report('hello', data == b'hello', f'got {data!r} from {client}')

token = str(random.randrange(1000, 10000))
sock.sendto(f'token {token}'.encode(), client)
sock.settimeout(5)
try:
    reply, sender = sock.recvfrom(1024)
    report('thanks', reply == f'thanks {token}'.encode(), f'sent token {token}, got {reply!r}')
except TimeoutError:
    report('thanks', False, f'sent token {token}; nothing came back within 5 s')
