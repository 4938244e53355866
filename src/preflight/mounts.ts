// tracefs and bpffs from /proc/mounts (this process's mount namespace).
import * as fs from 'fs';

export interface Mount {
  source: string;
  target: string;
  fstype: string;
}

export const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'] as const;
export const BPFFS_PATH = '/sys/fs/bpf';

// Spaces and such in mount points are written as octal escapes (\040).
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length >= 3) out.push({ source: unescape(f[0]!), target: unescape(f[1]!), fstype: f[2]! });
  }
  return out;
}

export interface MountFacts {
  /** where tracefs is mounted among TRACEFS_PATHS, or null */
  tracefs: string | null;
  /** bpffs at /sys/fs/bpf */
  bpffs: boolean;
}

export function mountFacts(mounts: readonly Mount[]): MountFacts {
  const tracefs = TRACEFS_PATHS.find((p) => mounts.some((m) => m.target === p && m.fstype === 'tracefs')) ?? null;
  const bpffs = mounts.some((m) => m.target === BPFFS_PATH && m.fstype === 'bpf');
  return { tracefs, bpffs };
}

export function readMounts(file = '/proc/mounts'): MountFacts {
  return mountFacts(parseMounts(fs.readFileSync(file, 'utf8')));
}
