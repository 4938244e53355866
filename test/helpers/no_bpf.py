#!/usr/bin/env python3
"""Runs argv[1:] with the bpf() syscall refused (EPERM) by a seccomp filter,
as a container runtime's default profile does: as root, with every
capability, the samples view's load then fails for real."""
import ctypes
import os
import platform
import struct
import sys

# machine -> (AUDIT_ARCH_*, __NR_bpf)
ARCH = {"x86_64": (0xC000003E, 321), "aarch64": (0xC00000B7, 280)}


def filter_prog():
    arch, nr_bpf = ARCH[platform.machine()]
    op = lambda code, jt, jf, k: struct.pack("HBBI", code, jt, jf, k)  # noqa: E731
    return b"".join([
        op(0x20, 0, 0, 4), op(0x15, 1, 0, arch), op(0x06, 0, 0, 0x7FFF0000),  # another ABI: allow
        op(0x20, 0, 0, 0), op(0x15, 0, 1, nr_bpf),
        op(0x06, 0, 0, 0x00050000 | 1),   # bpf(): EPERM
        op(0x06, 0, 0, 0x7FFF0000),
    ])


def main():
    prog = filter_prog()
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HxxxxxxQ", len(prog) // 8, ctypes.addressof(buf))
    arg = ctypes.create_string_buffer(fprog)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, arg, 0, 0) != 0:  # NO_NEW_PRIVS, SECCOMP filter
        sys.exit(f"no_bpf: prctl: {os.strerror(ctypes.get_errno())}")
    os.execvp(sys.argv[1], sys.argv[1:])


main()
