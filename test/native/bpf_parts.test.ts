// native/bpf_parts.c under a signal storm: the verifier answers EAGAIN when a
// signal is pending for the loading thread, and node --cpu-prof sends the
// JS thread a SIGPROF every --cpu-prof-interval. The loader holds signals
// back during a load (and tries again on EAGAIN), so every part loads in the
// same variant as without the profiler.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { samplesSkipReason } from '../helpers/samples';
import { skipIf } from '../helpers/skip';

const DIST = path.resolve(__dirname, '../..');

// Loads the samples and events views' parts and prints them, and the load retries, as JSON.
const SCRIPT = `
const { SampleSource } = require(${JSON.stringify(path.join(DIST, 'src/sources/samples'))});
const { EventSource } = require(${JSON.stringify(path.join(DIST, 'src/sources/events'))});
const { bpfStatsAddon } = require(${JSON.stringify(path.join(DIST, 'src/native/bpf_stats'))});
const out = {};
for (const [name, make] of [['samples', () => new SampleSource({})], ['events', () => new EventSource({})]]) {
  const s = make();
  try { s.start(); } catch (e) { /* parts() says why */ }
  out[name] = s.parts().map((p) => ({ part: p.part, program: p.program, why: p.why }));
  s.close();
}
out.retries = bpfStatsAddon().loadRetries();
console.log(JSON.stringify(out));
`;

type Parts = Record<'samples' | 'events', Array<{ part: string; program: string; why: string }>> & { retries: number };

function load(flags: string[]): Parts {
  const r = spawnSync(process.execPath, [...flags, '-e', SCRIPT], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Parts;
}

describe('native/bpf_parts: loading under signals', function () {
  this.timeout(300_000);

  before(function () {
    const why = samplesSkipReason();
    skipIf(this, why, `${why}`);
  });

  it('every part loads in the same variant under node --cpu-prof (a SIGPROF every 50 µs) as without it', () => {
    const plain = load([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-cpuprof-'));
    try {
      const prof = load(['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '50']);
      for (const view of ['samples', 'events'] as const) {
        for (const p of plain[view]) {
          const q = prof[view].find((x) => x.part === p.part);
          expect(q, `${view} ${p.part} reported`).to.not.equal(undefined);
          expect(q!.why, `${view} ${p.part}: interrupted`).to.not.include('Resource temporarily unavailable');
          expect(q!.program, `${view} ${p.part}: the variant under the profiler`).to.equal(p.program);
        }
      }
      console.log(`      load retries after EAGAIN: ${prof.retries} under the profiler, ${plain.retries} without`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
