#!/usr/bin/env python3
"""Runs argv[1:] under a seccomp filter that refuses AF_NETLINK sockets with
EACCES, as a locked-down container profile could: the one real way found here
to make the inet_diag dump fail as root (no capability gates it)."""
import ctypes
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EACCES = 13
AF_NETLINK = 16
# machine -> (AUDIT_ARCH_*, __NR_socket)
ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}


def ins(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def main():
    arch, nr_socket = ARCH[platform.machine()]
    LD_ABS, JEQ, RET = 0x20, 0x15, 0x06
    prog = b"".join([
        ins(LD_ABS, 0, 0, 4),                 # seccomp_data.arch
        ins(JEQ, 1, 0, arch),
        ins(RET, 0, 0, SECCOMP_RET_ALLOW),    # another ABI: leave it alone
        ins(LD_ABS, 0, 0, 0),                 # seccomp_data.nr
        ins(JEQ, 0, 3, nr_socket),
        ins(LD_ABS, 0, 0, 16),                # args[0] (domain), low 32 bits
        ins(JEQ, 0, 1, AF_NETLINK),
        ins(RET, 0, 0, SECCOMP_RET_ERRNO | EACCES),
        ins(RET, 0, 0, SECCOMP_RET_ALLOW),
    ])
    buf = ctypes.create_string_buffer(prog)

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Fprog(len(prog) // 8, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        sys.exit(f"no_netlink: prctl: {os.strerror(ctypes.get_errno())}")
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
