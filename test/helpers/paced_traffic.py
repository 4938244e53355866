#!/usr/bin/env python3
"""Steady TCP traffic on loopback for tcplens's health tests.

argv: CONNS SECONDS [REFUSED]: CONNS client connections to one listener, each
sending 1 KiB messages (every 5 ms) that the server reads, for SECONDS; then
every connection closes. REFUSED connects to a closed port first (each one a
reset sent and a refused connect). Prints {"port": P} when the traffic
starts, and {"done": true, "sent": BYTES} when every connection is closed.
"""
import json
import socket
import sys
import threading
import time

conns, seconds = int(sys.argv[1]), float(sys.argv[2])
refused = int(sys.argv[3]) if len(sys.argv) > 3 else 0

for _ in range(refused):
    c = socket.socket()
    try:
        c.connect(("127.0.0.1", 1))
    except ConnectionRefusedError:
        pass
    c.close()

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
port = ls.getsockname()[1]


def serve(a):
    while a.recv(65536):
        pass
    a.close()


servers, clients = [], []
for _ in range(conns):
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    a, _ = ls.accept()
    t = threading.Thread(target=serve, args=(a,))
    t.start()
    servers.append(t)
    clients.append(c)
print(json.dumps({"port": port}), flush=True)

sent = [0] * conns


def talk(i, c):
    end = time.monotonic() + seconds
    msg = b"m" * 1024
    while time.monotonic() < end:
        c.sendall(msg)
        sent[i] += len(msg)
        time.sleep(0.005)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()


talkers = [threading.Thread(target=talk, args=(i, c)) for i, c in enumerate(clients)]
for t in talkers:
    t.start()
for t in talkers + servers:
    t.join()
ls.close()
print(json.dumps({"done": True, "sent": sum(sent)}), flush=True)
