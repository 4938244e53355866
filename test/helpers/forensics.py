#!/usr/bin/env python3
"""Workloads whose TCP trouble is known in advance, for the saved-question
tests (test/query/questions.test.ts). Run inside a test namespace; argv[1]
names the workload; prints one JSON line of ground truth at the end.

bulk ADDR PORT BYTES     a server on ADDR:PORT reads everything; a client sends
                         BYTES and closes. Truth: pid, sport, bytes.
refused ADDR PORT N      N connects to a port nobody listens on. Truth: errors.
blackhole ADDR PORT N    N connects whose SYNs are dropped (the test's nftables
                         rule), TCP_SYNCNT=1 so each gives up after ~3 s.
overflow ADDR PORT N HOLD  a listener with backlog 1 that never accepts; N
                         non-blocking connects; held HOLD seconds.
slowreader ADDR PORT HOLD  a server that accepts and never reads (small
                         SO_RCVBUF); the client writes until the window shuts,
                         then both hold HOLD seconds. Truth: the reader's
                         Recv-Q (FIONREAD) and the client's port.
"""
import errno
import fcntl
import json
import os
import socket
import struct
import sys
import termios
import threading
import time

mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
truth = {"pid": os.getpid()}


def listener(backlog=16, rcvbuf=0):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    ls.bind((addr, port))
    ls.listen(backlog)
    return ls


if mode == "bulk":
    nbytes = int(sys.argv[4])
    ls = listener()

    def serve():
        a, _ = ls.accept()
        while a.recv(1 << 16):
            pass
        a.close()

    t = threading.Thread(target=serve)
    t.start()
    c = socket.socket()
    c.connect((addr, port))
    truth["sport"] = c.getsockname()[1]
    c.sendall(b"x" * nbytes)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # the server's FIN: everything was read
    c.close()
    t.join()
    ls.close()
    truth["bytes"] = nbytes
elif mode in ("refused", "blackhole"):
    n = int(sys.argv[4])
    errs = []

    def attempt():
        c = socket.socket()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
        try:
            c.connect((addr, port))
            errs.append("connected")
        except OSError as e:
            errs.append(errno.errorcode.get(e.errno, str(e.errno)))
        c.close()

    ts = [threading.Thread(target=attempt) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    truth["errors"] = sorted(errs)
elif mode == "overflow":
    n, hold = int(sys.argv[4]), float(sys.argv[5])
    ls = listener(backlog=1)
    cs = []
    for _ in range(n):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex((addr, port))
        cs.append(c)
        time.sleep(0.05)
    time.sleep(hold)
    truth["backlog"] = 1
    for c in cs:
        c.close()
    ls.close()
elif mode == "slowreader":
    hold = float(sys.argv[4])
    ls = listener(rcvbuf=4096)
    c = socket.socket()
    c.connect((addr, port))
    a, _ = ls.accept()
    c.setblocking(False)
    sent = 0
    stalled = 0
    while stalled < 20:  # the window stays shut for 20 tries in a row
        try:
            sent += c.send(b"y" * 65536)
            stalled = 0
        except BlockingIOError:
            stalled += 1
            time.sleep(0.05)
    time.sleep(hold)
    truth["recv_q"] = struct.unpack("i", fcntl.ioctl(a, termios.FIONREAD, b"\0\0\0\0"))[0]
    truth["sport"] = c.getsockname()[1]
    truth["sent"] = sent
    c.close()
    a.close()
    ls.close()
print(json.dumps(truth), flush=True)
