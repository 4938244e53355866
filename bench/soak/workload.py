#!/usr/bin/env python3
"""The soak's workload: HELD loopback pairs open the whole time, plus RATE
short connections per second (connect, 64 bytes each way, close) paced in
10 ms slots, for SECONDS (0: until stdin closes).

argv: HELD RATE SECONDS. Prints {"ready": true, "port": P, "held": 2*HELD}
once the held sockets are open, {"t": S, "conns": N} every second, and
{"done": true, "conns": N, "behind": B} at the end (B: connections the pacer
could not make on time; they are made late, not skipped).
"""
import json
import resource
import select
import socket
import sys
import time

held, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * held + 1024), hard))

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(4096)
port = ls.getsockname()[1]
keep = []
for _ in range(held):
    c = socket.socket()
    c.connect(("127.0.0.1", port))
    a, _ = ls.accept()
    keep.append((c, a))


def say(o):
    sys.stdout.write(json.dumps(o) + "\n")
    sys.stdout.flush()


say({"ready": True, "port": port, "held": 2 * len(keep)})
msg = b"m" * 64
t0 = time.monotonic()
conns = behind = 0
last_report = 0
while True:
    now = time.monotonic() - t0
    if seconds and now >= seconds:
        break
    if not seconds and select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.readline():
        break
    due = int(now * rate)
    if due - conns > rate:  # more than a second late: counted, caught up
        behind += 1
    while conns < due:
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\0" * 8)
        c.connect(("127.0.0.1", port))
        a, _ = ls.accept()
        c.sendall(msg)
        a.recv(64)
        a.sendall(msg)
        c.recv(64)
        c.close()
        a.close()
        conns += 1
    if int(now) > last_report:
        last_report = int(now)
        say({"t": last_report, "conns": conns})
    time.sleep(0.01)
say({"done": True, "conns": conns, "behind": behind})
for c, a in keep:
    c.close()
    a.close()
