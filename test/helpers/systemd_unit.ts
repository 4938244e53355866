// deploy/systemd/tcplens.service read as systemd reads it (sections, keys,
// repeated keys), and the command line that gives a process exactly the
// unit's capabilities as an unprivileged user (setpriv), as systemd's
// User= + AmbientCapabilities= + CapabilityBoundingSet= do.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');
export const UNIT = path.join(ROOT, 'deploy/systemd/tcplens.service');

export interface Unit {
  /** "Section.Key" -> every value, in order */
  keys: Map<string, string[]>;
  /** every comment line, without the leading "# " */
  comments: string[];
}

export function parseUnit(text: string): Unit {
  const keys = new Map<string, string[]>();
  const comments: string[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';')) {
      comments.push(line.replace(/^[#;]\s?/, ''));
      continue;
    }
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv) continue;
    const k = `${section}.${kv[1]}`;
    keys.set(k, [...(keys.get(k) ?? []), kv[2]!]);
  }
  return { keys, comments };
}

export const readUnit = (file = UNIT): Unit => parseUnit(fs.readFileSync(file, 'utf8'));

/** The one value of a key; throws when it is absent. */
export function value(u: Unit, key: string): string {
  const v = u.keys.get(key);
  if (!v || v.length === 0) throw new Error(`${UNIT}: no ${key}=`);
  return v[v.length - 1]!;
}

/** `CAP_SYS_ADMIN CAP_NET_ADMIN` -> ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] */
export const capList = (v: string): string[] => v.split(/\s+/).filter(Boolean);

/** setpriv arguments: uid/gid, no supplementary groups, and `caps` (CAP_X
 * names) as the inheritable, ambient and bounding sets, nothing else. */
export function setprivArgs(uid: string | number, gid: string | number, caps: readonly string[]): string[] {
  const set = ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  return [
    'setpriv',
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--clear-groups',
    `--inh-caps=${set}`,
    `--ambient-caps=${set}`,
    `--bounding-set=${set}`,
  ];
}

/** Whether uid `uid` can read and run the checkout's CLI (a checkout under a
 * private home would not be). */
export function readableBy(uid: number, file: string): boolean {
  return spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'test', '-r', file], { stdio: 'ignore' }).status === 0;
}
