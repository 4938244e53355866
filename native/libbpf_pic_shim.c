/* Debian's libbpf.a is compiled as PIE, not PIC. Exactly one of its
 * relocations cannot go into a shared object: libbpf.o reads glibc's
 * `stderr` PC-relatively (R_X86_64_PC32). Defining a hidden `stderr` in the
 * addon gives that reference a local target; a constructor points it at the
 * process's real stderr, so libbpf's default logger still works. Checked:
 * `readelf -r` over every object of libbpf 1.1.2's archive shows no other
 * such relocation. */
#include <dlfcn.h>
#include <stdio.h>

#undef stderr
__attribute__((visibility("hidden"))) FILE *stderr;

__attribute__((constructor)) static void tl_bind_stderr(void)
{
	FILE **real = (FILE **)dlsym(RTLD_DEFAULT, "stderr");
	stderr = real ? *real : NULL;
}
