#!/usr/bin/env node
// Runs on each kernel of the matrix (inside a qemu guest, or on the host), as
// one node process because node takes ~18 s to start under TCG: this kernel's
// preflight (which loads the eBPF views' own programs), then the
// kernel-facing tests. Prints one line
//   TCPLENS_KERNEL_RESULT {"release", "preflight", "parts", "tests"}
// for scripts/kernels/matrix.sh, and exits with the number of failed tests.
//
//   node scripts/kernels/guest-run.js [--no-tests]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');
// Everything that touches the kernel: the native layouts against its BTF,
// the views' sources (every eBPF variant), preflight's verdicts against what
// run starts, a run with every view, and the classic-tracepoint join. Tests
// that need ClickHouse or only exercise user space (the parsers' replays)
// run once, on the host, in the whole suite.
const TESTS = [
  'test/native/layout.test.js',
  'test/native/event_layout.test.js',
  'test/native/sample_layout.test.js',
  'test/sources',
  'test/filter/filter.test.js', // bad expressions (filter_cli) are user space: the host runs them
  'test/preflight/ebpf_rows.test.js',
  'test/preflight/no_inet_diag.test.js',
  'test/preflight/verdicts.test.js',
  'test/preflight/dump_cost.test.js',
  'test/run/listen_view.test.js',
  'test/run/run_views.test.js',
  'test/run/sidecar_wake.test.js',
  'test/run/views/samples.test.js', // the owners pass: skipped while idle, restricted to --netns in the kernel
  'test/run/privileges.test.js', // the capability drop (native/privdrop.c) on each kernel; its ClickHouse case runs on the host
  'test/correlate/tuple_fallback.test.js',
];

function testFiles() {
  const out = [];
  for (const t of TESTS) {
    const p = path.join(DIST, t);
    if (fs.statSync(p).isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) if (f.endsWith('.test.js')) out.push(path.join(p, f));
    } else {
      out.push(p);
    }
  }
  return out;
}

function report(tests) {
  const { runPreflight } = require(path.join(DIST, 'src/preflight'));
  const { addon } = require(path.join(DIST, 'src/native/addon'));
  const preflight = runPreflight();
  return { release: os.release(), preflight, parts: addon().viewParts(), tests };
}

function main() {
  const noTests = process.argv.includes('--no-tests');
  const pre = report(null);
  console.log(`tcplens kernel ${pre.release}: views ${JSON.stringify(pre.preflight.views)}`);
  if (noTests) {
    console.log(`TCPLENS_KERNEL_RESULT ${JSON.stringify(pre)}`);
    return;
  }
  const Mocha = require(path.join(ROOT, 'node_modules/mocha'));
  const mocha = new Mocha({ timeout: 600_000, reporter: 'spec' });
  process.env.TCPLENS_TEST_NO_CLICKHOUSE = '1'; // a guest's root is the host's, read-only: no private servers there
  process.env.TCPLENS_TEST_KERNEL_MATRIX = '1'; // cases the same on every kernel leave themselves to the host suite
  // a guest runs under TCG (no KVM here), beside the host suite in npm test:
  // the tests' waits and timeouts, guards against a hang, stretch (test/helpers/time_scale.ts)
  process.env.TCPLENS_TEST_TIME_SCALE = '4';
  for (const f of testFiles()) mocha.addFile(f);
  const runner = mocha.run((failures) => {
    const s = runner.stats;
    const tests = { passed: s.passes, failed: s.failures, skipped: s.pending };
    console.log(`TCPLENS_KERNEL_RESULT ${JSON.stringify({ ...pre, tests })}`);
    process.exit(Math.min(failures, 100));
  });
}

main();
