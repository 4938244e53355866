// Least privilege after start: once the eBPF programs are loaded and
// attached, the netlink sockets open and the metrics port bound, `tcplens
// run` keeps only the capabilities its running views still use, in every
// thread (native/privdrop.c), and with --user runs on as that user.
//
// What the views still do after start, and so what is kept (docs/capabilities.md):
// - every namespace (--netns all or named ones): namespaces appear later, and
//   polling them needs setns() (CAP_SYS_ADMIN, which no finer capability
//   allows, and which also serves bpf() for the samples' iterators and the
//   BPF stats) and finding the ones only processes hold needs
//   CAP_SYS_PTRACE (/proc/PID/ns/net of other users, all of them after --user);
// - poll: CAP_NET_ADMIN (marks and class ids in every dump; the destroy
//   groups need nothing: any reader may join them);
// - only our own namespace (--netns host): no setns; the eBPF views (and
//   --poll-via iter and host) still call bpf() every drain, sample and scrape (map
//   reads, iterator instances, run-time stats): CAP_BPF and CAP_PERFMON.
// Everything else goes: CAP_DAC_OVERRIDE, CAP_SETUID, CAP_SYS_MODULE, ...,
// from the effective, permitted, inheritable, ambient and bounding sets.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addon, type PrivdropResult } from '../native/addon';
import { CAP, readCapEff, type CapName } from '../preflight/caps';
import { TcplensError, usage } from '../util/errors';
import type { Logger } from '../util/log';

export interface KeepFor {
  /** the views running */
  views: readonly string[];
  /** only our own namespace is watched (no setns ever) */
  ownNetnsOnly: boolean;
  pollVia: 'diag' | 'iter' | 'host';
}

const BPF_VIEWS = ['events', 'samples', 'targeted'];

/** The capabilities the running views still use after start (above). */
export function capsToKeep(o: KeepFor): CapName[] {
  const keep: CapName[] = ['NET_ADMIN'];
  if (!o.ownNetnsOnly) keep.push('SYS_ADMIN', 'SYS_PTRACE');
  else if (o.pollVia !== 'diag' || o.views.some((v) => BPF_VIEWS.includes(v))) keep.push('BPF', 'PERFMON');
  return keep;
}

export interface RunUser {
  name: string;
  uid: number;
  gid: number;
}

/** --user NAME (or a uid) as uid and primary gid, from the system's own `id`; one line if unknown. */
export function resolveUser(name: string): RunUser {
  const id = (flag: string): number => {
    try {
      return Number(execFileSync('id', [flag, '--', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    } catch {
      throw usage(`--user: no such user "${name}"`);
    }
  };
  const u = { name, uid: id('-u'), gid: id('-g') };
  if (!Number.isInteger(u.uid) || !Number.isInteger(u.gid) || u.uid < 0 || u.gid < 0) throw usage(`--user: no such user "${name}"`);
  return u;
}

/** Hands `dir` and what it holds to the user (it writes the spool from now on). */
function handOver(dir: string, u: RunUser): void {
  if (!fs.existsSync(dir)) return;
  fs.chownSync(dir, u.uid, u.gid);
  for (const f of fs.readdirSync(dir)) fs.lchownSync(path.join(dir, f), u.uid, u.gid);
}

const hex = (n: bigint): string => n.toString(16).padStart(16, '0');

export interface Dropped {
  kept: string[];
  capEff: string;
  result: PrivdropResult;
}

/** Keeps `keep` (those of them the process has) in every thread; with
 * `user`, switches every thread to it first handing it `spoolDir`. SIGUSR1
 * is taken by a listener from now on: Node would otherwise start its
 * inspector on it (code execution in this process, for anyone who may
 * signal it: after --user, that user's processes). */
export function dropPrivileges(keep: readonly CapName[], o: { user?: RunUser; spoolDir?: string }, log: Logger): Dropped {
  process.on('SIGUSR1', () => log.warn('run.sigusr1', 'SIGUSR1 ignored (no inspector in a privileged process)'));
  const have = readCapEff();
  const mask = keep.reduce((m, c) => m | (have & (1n << BigInt(CAP[c]))), 0n);
  const kept = keep.filter((c) => (mask >> BigInt(CAP[c])) & 1n).map((c) => `CAP_${c}`);
  if (o.user && o.spoolDir) handOver(o.spoolDir, o.user);
  const r = addon().dropPrivileges(
    Number(mask & 0xffffffffn),
    Number(mask >> 32n),
    o.user ? o.user.uid : -1,
    o.user ? o.user.gid : -1,
    500,
  );
  if (!r.ok)
    throw new TcplensError(
      'EPREFLIGHT',
      `dropping capabilities${o.user ? ` and switching to user ${o.user.name}` : ''} failed: ${r.code ?? r.errno}`,
    );
  const capEff = hex(readCapEff());
  log.info(
    'run.privileges',
    o.user ? `running as ${o.user.name} with ${kept.join(', ') || 'no capability'}` : `kept ${kept.join(', ') || 'no capability'}`,
    {
      kept,
      cap_eff: capEff,
      ...(o.user ? { user: o.user.name, uid: o.user.uid } : {}),
      threads: r.threads,
    },
  );
  if (r.unreached)
    log.warn(
      'run.privileges',
      "threads that block every signal kept the start set (Node's SIGUSR1 watcher; it runs nothing once SIGUSR1 is taken); --user switches them too, to no capability",
      {
        threads: r.unreached,
        tid: r.unreachedTid,
      },
    );
  return { kept, capEff, result: r };
}
