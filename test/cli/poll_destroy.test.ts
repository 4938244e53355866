// tcplens poll --destroy: closes between polls are printed as they happen.
import { expect } from 'chai';
import { spawn, execFileSync } from 'child_process';
import * as path from 'path';
import { suiteNetns } from '../helpers/netns';

const BIN = path.resolve(__dirname, '../../../bin/tcplens.js');
const CHURN = path.resolve(__dirname, '../../../test/helpers/churn.py');
const MARKER = "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\nprint('up', flush=True)\ntime.sleep(60)";

describe('tcplens poll --destroy', function () {
  this.timeout(60_000);
  const netns = suiteNetns('pdestroy');

  it('prints every socket closed between polls as a "destroy" record', async () => {
    // a listener that outlives the run: the first poll's row says the CLI is up
    const marker = spawn('ip', ['netns', 'exec', netns.name, 'python3', '-c', MARKER], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => marker.stdout!.once('data', r));
    const proc = spawn(
      'node',
      [BIN, 'poll', '--netns', netns.name, '--interval', '300ms', '--count', '4', '--destroy', '--format', 'ndjson'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const firstPoll = new Promise((r) => proc.stdout!.once('data', r));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // churn once the first poll printed the marker's row: subscribed by then
    // (start-up and preflight take ~1 s, longer on a loaded machine)
    await firstPoll;
    const N = 15;
    const truth = JSON.parse(
      execFileSync('ip', ['netns', 'exec', netns.name, 'python3', CHURN, String(N), '200'], { encoding: 'utf8' }).trim(),
    ) as { listener: [string, number]; flows: Array<{ sport: number }> };
    const code = await new Promise((r) => proc.once('exit', r));
    marker.kill();
    expect(code).to.equal(0);
    const recs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const destroyed = recs.filter((r) => r.view === 'destroy');
    expect(destroyed).to.have.length(2 * N + 1);
    const clientPorts = new Set(destroyed.filter((r) => r.dport === truth.listener[1]).map((r) => r.sport));
    for (const f of truth.flows) expect(clientPorts.has(f.sport), `client ${f.sport}`).to.equal(true);
    expect(
      destroyed.every((r) => r.netns === netns.name && typeof r.idiag_cookie === 'string' && r.tcpi_bytes_acked !== undefined),
    ).to.equal(true);
    // The last poll still sees the clients, now as TIME_WAIT sockets (no tcp_info).
    const lastTs = recs
      .filter((r) => r.view === 'poll')
      .map((r) => String(r.ts_ns))
      .sort()
      .pop();
    const tw = recs.filter((r) => r.view === 'poll' && r.idiag_state === 6 && String(r.ts_ns) === lastTs);
    expect(tw).to.have.length(N);
  });
});
