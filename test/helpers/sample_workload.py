#!/usr/bin/env python3
"""Threads in known states for the samples view's tests.

argv[1] is a JSON spec: {"recv": N, "busy": true|false, "idle": true|false}
- N threads, each blocked in recv() on its own accepted loopback connection
  (thread name "tl-recv")
- one thread spinning, "tl-busy" (stops when stdin closes, or after 120 s)
- one thread sleeping on an Event (futex), "tl-idle"
Prints one JSON line: pid, and per thread its tid and socket, then waits for
stdin to close and exits.
"""
import ctypes
import json
import socket
import sys
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
stop = threading.Event()


def name_me(name):
    libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)


def main():
    spec = json.loads(sys.argv[1])
    name_me("tl-sampwl")
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)
    out = {"pid": __import__("os").getpid(), "listener": lst.getsockname()[1], "threads": []}
    ready = []
    keep = [lst]

    def receiver(conn, info, ev):
        name_me("tl-recv")
        info["tid"] = threading.get_native_id()
        ev.set()
        try:
            conn.recv(1)  # blocks until the peer closes at exit
        except OSError:
            pass

    for _ in range(spec.get("recv", 0)):
        cli = socket.create_connection(lst.getsockname())
        srv, _ = lst.accept()
        keep += [cli, srv]
        info = {"role": "recv", "sport": srv.getsockname()[1], "dport": srv.getpeername()[1], "fd": srv.fileno()}
        ev = threading.Event()
        threading.Thread(target=receiver, args=(srv, info, ev), daemon=True).start()
        ready.append(ev)
        out["threads"].append(info)

    def busy(info, ev):
        name_me("tl-busy")
        info["tid"] = threading.get_native_id()
        ev.set()
        end = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < end:
            pass

    def idle(info, ev):
        name_me("tl-idle")
        info["tid"] = threading.get_native_id()
        ev.set()
        stop.wait()

    for role, fn in (("busy", busy), ("idle", idle)):
        if spec.get(role):
            info = {"role": role}
            ev = threading.Event()
            threading.Thread(target=fn, args=(info, ev), daemon=True).start()
            ready.append(ev)
            out["threads"].append(info)
    for ev in ready:
        ev.wait()
    time.sleep(0.2)  # let the receivers reach recv()
    print(json.dumps(out), flush=True)
    sys.stdin.read()
    stop.set()


main()
