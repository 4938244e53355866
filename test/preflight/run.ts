// Runs the real CLI (or a node snippet) with capabilities dropped by capsh or
// netlink refused by a seccomp filter: how the preflight tests exercise the
// degraded and fatal paths for real.
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { CheckRow, PreflightReport } from '../../src/preflight';

export const ROOT = path.resolve(__dirname, '../../..');
/** TCPLENS_BIN points the tests at another build of the CLI (e.g. an install). */
export const BIN = process.env.TCPLENS_BIN ?? path.join(ROOT, 'bin/tcplens.js');
const NO_NETLINK = path.join(ROOT, 'test/preflight/no_netlink.py');

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `capsh --drop=CAPS -- -c 'node ARGS'`; no drop when caps is empty. */
export function runNode(caps: string, args: string[], cwd = ROOT): Ran {
  const cmd = `exec node ${args.map(q).join(' ')}`;
  const r = caps
    ? spawnSync('capsh', [`--drop=${caps}`, '--', '-c', cmd], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync('bash', ['-c', cmd], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const tcplens = (caps: string, args: string[], bin = BIN): Ran => runNode(caps, [bin, ...args]);

/** node ARGS under a seccomp filter that refuses AF_NETLINK sockets. */
export function runNoNetlink(args: string[]): Ran {
  const r = spawnSync('python3', [NO_NETLINK, 'node', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function parseReport(r: Ran): PreflightReport {
  try {
    return JSON.parse(r.stdout) as PreflightReport;
  } catch {
    throw new Error(`preflight --json printed no JSON (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
}

export function rowOf(rep: PreflightReport, check: string): CheckRow {
  const row = rep.checks.find((c) => c.check === check);
  if (!row) throw new Error(`no "${check}" row in ${rep.checks.map((c) => c.check).join(', ')}`);
  return row;
}

export function hasCapsh(): boolean {
  return spawnSync('capsh', ['--help'], { stdio: 'ignore' }).error === undefined;
}
