// The misbehaving workloads of test/helpers/forensics.py (bulk, refused,
// blackhole, overflow, slowreader) run in a test namespace.
import { spawn } from 'child_process';
import * as path from 'path';

const WORKLOAD = path.resolve(__dirname, '../../../test/helpers/forensics.py');

/** Runs one workload in namespace `ns`; resolves with its JSON truth (the last line it prints). */
export function workload(ns: string, ...args: Array<string | number>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, 'python3', WORKLOAD, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${args[0]}: exit ${code}`)),
    );
  });
}
