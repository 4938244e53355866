#!/usr/bin/env python3
"""Short loopback TCP flows, one after another, each living a set time.

argv: N LIFE_MS GAP_MS: N connections; each connects, exchanges 1000 bytes
each way, stays open LIFE_MS (0: closed at once), is closed by the client,
then GAP_MS pass before the next. Prints one JSON line at the end:
{"flows": [{"sport": .., "dport": .., "open_ms": .., "close_ms": ..}]}
(client port, server port, wall ms when connect() returned and when close() began).
"""
import json
import socket
import sys
import time

n, life, gap = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(128)
port = ls.getsockname()[1]
flows = []
for _ in range(n):
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    opened = time.time() * 1000
    sport = c.getsockname()[1]
    a, _ = ls.accept()
    c.sendall(b"q" * 1000)
    got = 0
    while got < 1000:
        got += len(a.recv(1000 - got))
    a.sendall(b"r" * 1000)
    got = 0
    while got < 1000:
        got += len(c.recv(1000 - got))
    if life > 0:
        time.sleep(life / 1000)
    closed = time.time() * 1000
    c.close()
    a.close()
    flows.append({"sport": sport, "dport": port, "open_ms": opened, "close_ms": closed})
    time.sleep(gap / 1000)
print(json.dumps({"flows": flows}), flush=True)
