#!/usr/bin/env python3
"""Many loopback TCP sockets of known properties, fast (fixture recording).

argv[1] is a JSON spec: {"pairs": N, "timewait": K, "smallrcv": M}
- one listener per family (IPv4 127.0.0.1, IPv6 ::1);
- N connected pairs, alternating IPv4/IPv6: pair i's client uses congestion
  control CONGS[i % 3] (when available), sends (i % 5) * 100 bytes that the
  server reads, and, when i % 7 == 0, 10 + i % 50 more bytes left unread;
- K connections closed by the client first, leaving K TIME-WAIT sockets;
- the first M pairs' clients set SO_RCVBUF 4096 before connecting (a small
  receive window scale on one side, so snd/rcv wscale differ).
Prints one JSON line describing every live socket, then waits for stdin to close.
"""
import json
import resource
import socket
import sys
import time

TCP_CONGESTION = 13
CONGS = ["reno", "cubic", "bbr"]


def fam_of(i):
    return socket.AF_INET if i % 2 == 0 else socket.AF_INET6


def loop(af):
    return ("127.0.0.1", 0) if af == socket.AF_INET else ("::1", 0)


def describe(role, s, extra=None):
    local = s.getsockname()
    try:
        peer = s.getpeername()
    except OSError:
        peer = ("0.0.0.0", 0) if s.family == socket.AF_INET else ("::", 0)
    d = {"role": role, "family": int(s.family), "src": local[0], "sport": local[1],
         "dst": peer[0], "dport": peer[1]}
    d.update(extra or {})
    return d


def main():
    spec = json.loads(sys.argv[1])
    pairs, timewait = int(spec.get("pairs", 0)), int(spec.get("timewait", 0))
    smallrcv = int(spec.get("smallrcv", 0))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open("/proc/sys/net/ipv4/tcp_available_congestion_control") as f:
        avail = set(f.read().split())

    listeners = {}
    keep, out = [], []
    for af in (socket.AF_INET, socket.AF_INET6):
        s = socket.socket(af, socket.SOCK_STREAM)
        s.bind(loop(af))
        s.listen(4096)
        listeners[af] = s
        keep.append(s)
        out.append(describe("listener", s))

    for i in range(timewait):
        af = fam_of(i)
        c = socket.create_connection(listeners[af].getsockname()[:2])
        a, _ = listeners[af].accept()
        c.sendall(b"t")
        a.recv(1)
        c.close()  # active close: the client side ends in TIME-WAIT
        a.recv(1)  # the FIN
        a.close()

    for i in range(pairs):
        af = fam_of(i)
        c = socket.socket(af, socket.SOCK_STREAM)
        extra = {}
        cong = CONGS[i % 3]
        if cong in avail:
            c.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, cong.encode())
            extra["cong"] = cong
        if i < smallrcv:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            extra["rcvbuf"] = 4096
        c.connect(listeners[af].getsockname()[:2])
        a, _ = listeners[af].accept()
        sent = (i % 5) * 100
        if sent:
            c.sendall(b"x" * sent)
            got = 0
            while got < sent:
                got += len(a.recv(sent - got))
        unread = 10 + i % 50 if i % 7 == 0 else 0
        if unread:
            c.sendall(b"u" * unread)
        extra["sent"] = sent + unread
        extra["unread"] = unread
        keep += [c, a]
        out.append(describe("client", c, extra))
        out.append(describe("server", a, {"unread": unread}))
    time.sleep(0.3)  # let ACKs settle before anyone looks
    print(json.dumps({"pid": __import__("os").getpid(), "timewait": timewait, "sockets": out}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
