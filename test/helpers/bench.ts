// Running the benches' short runs (--smoke) and reading the tables they print.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT } from './bench_cli';

/** The cells of a table row that starts with `label`. */
export function rowCells(out: string, label: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(label));
  expect(line, `row "${label}" in:\n${out}`).to.be.a('string');
  return line!.slice(label.length).trim().split(/\s+/);
}

/** `bash <script> --smoke ARGS` (`node` for a .js script) from the repository root: its stdout, once it exited 0. */
export function smokeRun(script: string, ...args: string[]): string {
  const interpreter = script.endsWith('.js') ? 'node' : 'bash';
  const r = spawnSync(interpreter, [path.join(ROOT, script), '--smoke', ...args], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, `exit ${r.status}\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}
