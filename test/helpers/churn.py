#!/usr/bin/env python3
"""Opens, uses and closes N loopback TCP connections, one after another.

argv: N [BYTES] [HOLD]: the client sends BYTES, the server reads them all and
answers BYTES//2. With HOLD, every connection is opened and used first, then
the script prints "open" and waits for a line on stdin before closing them all
(so a test can poll them while they live). Prints one JSON line at the end:
{"listener": [addr, port], "flows": [{"sport": .., "dport": .., "sent": .., "received": ..}]}
"""
import json
import socket
import sys

n = int(sys.argv[1])
nbytes = int(sys.argv[2]) if len(sys.argv) > 2 else 0
hold = len(sys.argv) > 3 and sys.argv[3] == "hold"

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1024)
port = ls.getsockname()[1]
flows, live = [], []


def recv_all(s, k):
    got = 0
    while got < k:
        chunk = s.recv(k - got)
        if not chunk:
            break
        got += len(chunk)
    return got


for _ in range(n):
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    a, _ = ls.accept()
    if nbytes:
        c.sendall(b"q" * nbytes)
        recv_all(a, nbytes)
        a.sendall(b"r" * (nbytes // 2))
        recv_all(c, nbytes // 2)
    flows.append({"sport": c.getsockname()[1], "dport": port, "sent": nbytes, "received": nbytes // 2})
    if hold:
        live.append((c, a))
    else:
        c.close()
        a.close()

if hold:
    print("open", flush=True)
    sys.stdin.readline()
    for c, a in live:
        c.close()
        a.close()
ls.close()
print(json.dumps({"listener": ["127.0.0.1", port], "flows": flows}), flush=True)
