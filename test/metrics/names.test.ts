// Every tcplens_* metric the dashboards and alert rules use exists in a live
// scrape of a registry fed by every stage: real poll and destroy views over
// a fresh namespace, a real BPF program of ours, and the documented provider
// shapes for the stages not merged yet. This checks names, not values.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { pollView } from '../../src/run/views/poll';
import { destroyView } from '../../src/run/views/destroy';
import { openOne } from '../helpers/views';
import { startMetrics } from '../../src/metrics/server';
import { bpfStatsAddon } from '../../src/native/bpf_stats';
import { Logger } from '../../src/util/log';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { otherStages } from './fixtures';
import { scrape } from './scrape';
import { skipIf } from '../helpers/skip';

const ROOT = path.resolve(__dirname, '../../..');
const used = (file: string): Set<string> =>
  new Set([...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\btcplens_[a-z0-9_]+/g)].map((m) => m[0]));

describe('metric names in dashboards and alert rules', function () {
  this.timeout(30_000);
  let ns = '';
  before(function () {
    skipIf(this, !isRoot(), 'needs root for namespaces and BPF');
  });
  after(() => {
    if (ns) deleteNetns(ns);
  });

  it('every tcplens_* name in deploy/ exists in a live scrape with at least one sample', async () => {
    ns = createNetns('names');
    const poll = openOne(pollView, ns);
    const destroy = openOne(destroyView, ns);
    const prog = bpfStatsAddon().selftestLoad(); // a BPF program this process holds
    const m = await startMetrics(
      { listen: '127.0.0.1:0', logger: new Logger({ write: () => undefined }) },
      { ...poll.stages, ...destroy.stages, ...otherStages().stages },
    );
    try {
      await poll.tick();
      destroy.view.beforeCycle!();
      await destroy.tick();
      const live = (await scrape(m.url)).names;
      const files = [
        'deploy/grafana/tcplens.json',
        'deploy/prometheus/tcplens-rules.yml',
        'deploy/prometheus/tcplens-rules.test.yml',
        'deploy/prometheus/tcp-health-rules.yml',
        'deploy/prometheus/tcp-health-rules.test.yml',
      ];
      let checked = 0;
      for (const f of files) {
        for (const name of used(f)) {
          // a histogram is named by its base in prose, scraped as NAME_bucket/_sum/_count
          expect(live.has(name) || live.has(`${name}_bucket`), `${name} (used in ${f}) is not in the scrape`).to.equal(true);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(50);
    } finally {
      await m.close();
      poll.view.close();
      destroy.view.close();
      fs.closeSync(prog);
    }
  });
});
