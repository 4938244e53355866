// Finding the host's network namespaces: our own, the named ones under
// /run/netns, and every process's /proc/PID/ns/net, deduplicated by inode.
import * as fs from 'fs';

export interface NetnsInfo {
  /** nsfs inode: the namespace's identity */
  readonly inode: number;
  /** "host" for our own, NAME for /run/netns/NAME, else the /proc path */
  readonly name: string;
  /** file to enter it through; null = our own namespace (no setns needed) */
  readonly path: string | null;
}

export interface Discovery {
  namespaces: NetnsInfo[];
  /** /proc entries we could not stat (EACCES on protected processes, races) */
  unreadable: number;
}

export const RUN_NETNS = '/run/netns';
const SELF = '/proc/self/ns/net';

function inodeOf(path: string): number | null {
  return statOf(path)?.ino ?? null;
}

export function ownNetns(): NetnsInfo {
  const ino = inodeOf(SELF);
  if (ino === null) throw new Error(`cannot stat ${SELF}`);
  return { inode: ino, name: 'host', path: null };
}

/** Named namespaces (ip netns add NAME). */
export function namedNetns(dir = RUN_NETNS): NetnsInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  // `ip netns add` creates the file first and bind-mounts the namespace on it after: in
  // between it is a plain file (its inode is not a namespace's; setns says EINVAL). Only
  // files on nsfs, the device every namespace file is on, are namespaces.
  const nsfs = devOf(SELF);
  const out: NetnsInfo[] = [];
  for (const name of names.sort()) {
    const path = `${dir}/${name}`;
    const st = statOf(path);
    if (st && st.dev === nsfs) out.push({ inode: st.ino, name, path });
  }
  return out;
}

function statOf(path: string): fs.Stats | null {
  try {
    return fs.statSync(path);
  } catch {
    return null;
  }
}
const devOf = (path: string): number | null => statOf(path)?.dev ?? null;

/** Every namespace of the host. Order: own, named, then by pid. */
export function discoverAll(): Discovery {
  const seen = new Map<number, NetnsInfo>();
  const add = (n: NetnsInfo): void => {
    if (!seen.has(n.inode)) seen.set(n.inode, n);
  };
  add(ownNetns());
  for (const n of namedNetns()) add(n);
  let unreadable = 0;
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    /* no /proc: own and named only */
  }
  for (const pid of pids) {
    const path = `/proc/${pid}/ns/net`;
    const ino = inodeOf(path);
    if (ino === null) {
      unreadable++;
      continue;
    }
    add({ inode: ino, name: path, path });
  }
  return { namespaces: [...seen.values()], unreadable };
}
