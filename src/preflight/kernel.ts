// Kernel release and BTF: what eBPF features the running kernel can have.
import * as fs from 'fs';
import * as os from 'os';

export interface KernelVersion {
  release: string;
  major: number;
  minor: number;
}

/** "6.18.44-fc-v657" -> 6.18; unparsable -> 0.0 (treated as old). */
export function parseRelease(release: string): KernelVersion {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return { release, major: m ? Number(m[1]) : 0, minor: m ? Number(m[2]) : 0 };
}

export const atLeast = (k: KernelVersion, major: number, minor: number): boolean =>
  k.major > major || (k.major === major && k.minor >= minor);

export const kernelVersion = (): KernelVersion => parseRelease(os.release());

export const BTF_VMLINUX = '/sys/kernel/btf/vmlinux';

/** tp_btf and iterator programs need the kernel's own BTF. */
export function hasBtf(file = BTF_VMLINUX): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
