// Keeps bench/burst working: its --smoke mode (2,000 connections, one rep)
// for real, under `tcplens run` into a private ClickHouse, and checks that
// every event, flow and destroy record of the burst arrived, nothing was
// lost, and every figure is printed beside its tracing-off anchor.
import { expect } from 'chai';
import { smokeRun } from '../helpers/bench';
import { skipUnlessEvents } from '../helpers/events';
import { haveClickHouse } from '../helpers/clickhouse';
import { skipIf } from '../helpers/skip';

describe('bench/burst --smoke', function () {
  this.timeout(300_000);

  it('repeats the burst under tcplens run and beside tracing off; nothing is lost', function () {
    skipUnlessEvents(this);
    skipIf(this, !haveClickHouse(), 'needs clickhouse-server (scripts/bootstrap.sh installs it)');
    const out = smokeRun('bench/burst/run.sh');
    expect(out).to.match(/^bench\/burst: 2000 loopback connections per rep \(4000 sockets\), 1 reps/m);
    expect(out).to.match(
      /^ {2}rep 0 this \(load [\d.]+\): lost 0 of 8001 events, tcp_events 8001\/8001, tcp_flows 4000\/4000 \(4000 cookies\), destroy rows missing 0 \(ENOBUFS 0, dropped 0\)/m,
    );
    // the anchor, then each build's figures beside it
    expect(out).to.match(/^medians of 1: tracing off \d+ conn\/s, [\d.]+ us churn CPU per connection$/m);
    expect(out).to.match(/^ {2}conn\/s \d+ \(\d+\.\d+x off\); churn CPU per connection [\d.]+ us \(\d+\.\d+x\)$/m);
    expect(out).to.match(/^ {2}peak RSS: \d+ MB \(max \d+\) beside \d+ MB before the burst \(\d+\.\d+x\)$/m);
  });
});
