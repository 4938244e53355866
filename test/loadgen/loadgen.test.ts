// The workload for real: flows in their own namespace, bytes exactly as
// asked, durations honoured, the namespace removed afterwards; bad input is
// one line and exit 2.
import { expect } from 'chai';
import { spawnSync, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isRoot, createNetns, deleteNetns } from '../helpers/netns';
import { readTruth } from '../../src/loadgen/truth';
import { skipIf } from '../helpers/skip';
import { eachTmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');
const tcplens = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const netnsList = (): string => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

describe('tcplens loadgen', function () {
  this.timeout(60_000);
  const dir = eachTmpDir('tl-loadgen-test-');

  it('bad SPEC: one clear line on stderr and exit 2, nothing started', () => {
    const r = tcplens(['loadgen', 'rate=100,durashun=5ms', '--out', path.join(dir.path, 't')]);
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/unknown key "durashun"/);
    expect(fs.existsSync(path.join(dir.path, 't'))).to.equal(false);
  });

  it('--plan prints the same schedule for the same seed, another for another seed', () => {
    const a = tcplens(['loadgen', 'rate=100,flows=20,duration=exp:10ms,seed=5', '--plan']);
    const b = tcplens(['loadgen', 'rate=100,flows=20,duration=exp:10ms,seed=5', '--plan']);
    const c = tcplens(['loadgen', 'rate=100,flows=20,duration=exp:10ms,seed=6', '--plan']);
    expect(a.status).to.equal(0);
    expect(a.stdout.trim().split('\n')).to.have.length(20);
    expect(a.stdout).to.equal(b.stdout);
    expect(c.stdout).to.not.equal(a.stdout);
  });

  it('runs every flow with exact bytes each way and its planned duration, in a namespace it removes', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const out = path.join(dir.path, 'truth.ndjson');
    const spec = 'rate=400,flows=300,duration=bimodal:3ms:300ms:0.1,bytes=3000/70000,seed=11';
    const r = tcplens(['loadgen', spec, '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    const sum = JSON.parse(r.stdout) as { flows: number; errors: number; netns: string };
    expect(sum.flows).to.equal(300);
    expect(sum.errors).to.equal(0);
    expect(netnsList()).to.not.include(sum.netns);
    const plan = JSON.parse(`[${tcplens(['loadgen', spec, '--plan']).stdout.trim().split('\n').join(',')}]`) as Array<{
      id: number;
      durationMs: number;
    }>;
    const truth = readTruth(out).sort((x, y) => x.id - y.id);
    expect(truth.map((t) => t.id)).to.deep.equal(plan.map((p) => p.id));
    const tuples = new Set<string>();
    for (const t of truth) {
      expect(t.error).to.equal('');
      expect([t.up_received, t.down_received]).to.deep.equal([3000, 70000]);
      expect(t.planned_ms).to.equal(plan[t.id]!.durationMs);
      // connect() to shutdown lasts at least the planned duration
      expect(Number(BigInt(t.fin_ns) - BigInt(t.start_ns)) / 1e6).to.be.at.least(t.planned_ms);
      expect(BigInt(t.end_ns) >= BigInt(t.fin_ns)).to.equal(true);
      expect(t.sport).to.be.above(0);
      tuples.add(`${t.sport}-${t.start_ns}`);
    }
    expect(tuples.size).to.equal(300);
  });

  it('--netns runs in a namespace it was given and leaves it in place', function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    const ns = createNetns('lg');
    try {
      const out = path.join(dir.path, 'truth.ndjson');
      const r = tcplens(['loadgen', 'rate=200,flows=20,duration=2ms,bytes=10', '--out', out, '--netns', ns]);
      expect(r.status, r.stderr).to.equal(0);
      const ino = fs.statSync(`/run/netns/${ns}`).ino;
      expect(readTruth(out).every((t) => t.netns_inode === ino)).to.equal(true);
      expect(netnsList()).to.include(ns);
    } finally {
      deleteNetns(ns);
    }
  });
});
