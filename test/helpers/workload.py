#!/usr/bin/env python3
"""TCP sockets of known properties for tcplens tests (Node cannot set them).

argv[1] is a JSON spec:
  {"pairs": [{"family": 4|6, "cong": "reno", "tos": 32, "mark": 7,
              "send": 1000, "unread": 500, "shutdown": "wr"}, ...],
   "listeners": [{"family": 4|6}, ...], "time_wait": N}
Each pair is a listener-accepted connection on loopback: the client applies the
options, sends `send` bytes that the server reads, then `unread` bytes the
server leaves unread (Recv-Q); `shutdown` half-closes the client. `time_wait`
connections are closed client first: their client ends wait in TIME_WAIT,
held by no process.
Prints one JSON line describing every socket, then waits for stdin to close.
A line "read" on stdin makes the servers read their unread bytes (the
application reading, no segment sent by the peer); it prints {"read": BYTES}.
"""
import json
import socket
import sys
import time

SO_MARK = 36
TCP_CONGESTION = 13


def addr(fam):
    return ("127.0.0.1", 0) if fam == 4 else ("::1", 0)


def afam(fam):
    return socket.AF_INET if fam == 4 else socket.AF_INET6


def describe(role, s, fam, extra=None):
    local, peer = s.getsockname(), None
    try:
        peer = s.getpeername()
    except OSError:
        peer = ("0.0.0.0", 0) if fam == 4 else ("::", 0)
    d = {"role": role, "family": 2 if fam == 4 else 10, "src": local[0], "sport": local[1],
         "dst": peer[0], "dport": peer[1]}
    d.update(extra or {})
    return d


def main():
    spec = json.loads(sys.argv[1])
    keep, out, pending = [], [], []
    for l in spec.get("listeners", []):
        fam = l.get("family", 4)
        s = socket.socket(afam(fam), socket.SOCK_STREAM)
        s.bind(addr(fam))
        s.listen(16)
        keep.append(s)
        out.append(describe("listener", s, fam))
    for p in spec.get("pairs", []):
        fam = p.get("family", 4)
        srv = socket.socket(afam(fam), socket.SOCK_STREAM)
        srv.bind(addr(fam))
        srv.listen(1)
        cli = socket.socket(afam(fam), socket.SOCK_STREAM)
        extra = {}
        if "cong" in p:
            cli.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, p["cong"].encode())
            extra["cong"] = p["cong"]
        if "tos" in p:
            if fam == 4:
                cli.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, p["tos"])
                extra["tos"] = p["tos"]
            else:
                cli.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, p["tos"])
                extra["tclass"] = p["tos"]
        if "mark" in p:
            cli.setsockopt(socket.SOL_SOCKET, SO_MARK, p["mark"])
            extra["mark"] = p["mark"]
        cli.connect(srv.getsockname()[:2])
        acc, _ = srv.accept()
        sent = p.get("send", 0)
        if sent:
            cli.sendall(b"x" * sent)
            got = 0
            while got < sent:
                got += len(acc.recv(sent - got))
        unread = p.get("unread", 0)
        if unread:
            cli.sendall(b"u" * unread)
        extra["sent"] = sent + unread
        extra["unread"] = unread
        if p.get("shutdown") == "wr":
            cli.shutdown(socket.SHUT_WR)
            extra["shutdown"] = "wr"
        keep += [srv, cli, acc]
        if unread:
            pending.append((acc, unread))
        out.append(describe("listener", srv, fam))
        out.append(describe("client", cli, fam, extra))
        out.append(describe("server", acc, fam, {"unread": unread}))
    if spec.get("time_wait"):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(addr(4))
        srv.listen(16)
        keep.append(srv)
        for _ in range(spec["time_wait"]):
            cli = socket.create_connection(srv.getsockname()[:2])
            acc, _ = srv.accept()
            d = describe("time_wait", cli, 4)
            cli.close()
            acc.close()
            out.append(d)
    time.sleep(0.2)  # let ACKs and unread data settle before anyone looks
    print(json.dumps({"pid": __import__("os").getpid(), "sockets": out}), flush=True)
    for line in sys.stdin:
        if line.strip() == "read":
            got = 0
            for acc, n in pending:
                while n > 0:
                    b = acc.recv(n)
                    got, n = got + len(b), n - len(b)
            pending = []
            print(json.dumps({"read": got}), flush=True)


if __name__ == "__main__":
    main()
