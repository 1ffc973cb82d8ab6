import socket

# Wrong on purpose: sends hello and leaves without reading the reply.
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sk.sendto(b'hello', ('127.0.0.1', 9102))
sk.close()
