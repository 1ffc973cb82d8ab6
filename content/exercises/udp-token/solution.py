import socket

sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sk.sendto(b'hello', ('127.0.0.1', 9102))
reply, server = sk.recvfrom(1024)
print('server said', reply)
token = reply.split()[1]
sk.sendto(b'thanks ' + token, server)
sk.close()
