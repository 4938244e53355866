// `tcplens compare --json ...` run for real; its report, or a failed test with its stderr.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { CompareResult } from '../../src/compare/run';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');

export function runCompare(args: readonly string[]): CompareResult {
  const r = spawnSync(process.execPath, [BIN, 'compare', '--json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as CompareResult;
}

/** The report's row of one view (its first, with several intervals); a failed test when it has none. */
export function viewReport(rep: CompareResult, view: string): CompareResult['views'][number] {
  const v = rep.views.find((x) => x.view === view);
  expect(v, `no ${view} row in the report`).to.exist;
  return v!;
}
