// bench/poll_lookup's measurement: node measure.js ROOT REPS ROUNDS SIZE=NSPATH...
'use strict';
const os = require('os');
const fs = require('fs');
const [root, reps, rounds, ...spaces] = process.argv.slice(2);
const { PollSource } = require(`${root}/dist/src/sources/poll`);
const { ExactPoll } = require(`${root}/dist/src/sources/poll_lookup`);
const { PollBatch } = require(`${root}/dist/src/layout/batch`);
const { parseNetnsSelector } = require(`${root}/dist/src/netns/select`);
const { splitStates } = require(`${root}/dist/src/sources/listen_states`);
const { ALL_STATES } = require(`${root}/dist/src/format/tcp_states`);
const { median } = require('../lib.js');

const states = splitStates(ALL_STATES).flows;
const cpuMs = async (fn) => {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

async function main() {
  const batch = new PollBatch(512);
  const sizes = spaces.map((s) => {
    const [n, path] = s.split('=');
    const src = new PollSource({ netns: parseNetnsSelector(path) });
    // events that vouch for every namespace (nothing else opens here): the dump below is learnt
    const exact = new ExactPoll({ opens: true, lost: () => 0, traces: () => true }, Infinity, Infinity);
    return { n: Number(n), src, exact, dump: [], look: [], rows: 0 };
  });
  // the known sockets: one dump's, as run learns them
  for (const s of sizes) {
    await s.src.cycle(() => undefined, { states, exact: s.exact });
    s.ns = s.src.stats()[0].ns;
    s.known = s.exact.known(s.ns.inode);
  }
  for (let r = 0; r < Number(reps); r++) {
    const d = new Map(sizes.map((s) => [s, []]));
    const l = new Map(sizes.map((s) => [s, []]));
    for (let i = 0; i < Number(rounds); i++) {
      // interleaved: every size, both ways, within a round
      for (const s of sizes) {
        d.get(s).push(await cpuMs(() => s.src.cycle(() => undefined, { states, refresh: false })));
        l.get(s).push(await cpuMs(async () => (s.rows = (await s.exact.poll(s.ns, states, batch, () => undefined)).rows)));
      }
    }
    for (const s of sizes) {
      s.dump.push(median(d.get(s)));
      s.look.push(median(l.get(s)));
    }
  }
  const m = /TCP: .*alloc (\d+)/.exec(fs.readFileSync('/proc/net/sockstat', 'utf8'));
  console.log(
    `tcplens poll_lookup benchmark: kernel ${os.release()}, ${m ? m[1] : '?'} TCP sockets on the host, load ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `medians of ${reps} runs of ${rounds} rounds; ms of CPU (every thread) per namespace-cycle, established states, every extension`,
  );
  console.log('sockets | dump ms | lookups ms | lookups/dump | lookups µs per socket');
  const pts = [];
  for (const s of sizes) {
    const dm = median(s.dump),
      lm = median(s.look);
    pts.push({ n: s.known, dm, lm });
    console.log(
      `${s.known} | ${dm.toFixed(3)} | ${lm.toFixed(3)} | ${(lm / dm).toFixed(2)} | ${((lm * 1000) / Math.max(1, s.known)).toFixed(1)}`,
    );
  }
  // equal cost: both lines through the smallest and largest sizes
  if (pts.length > 1) {
    const a = pts[0],
      b = pts[pts.length - 1];
    const ds = (b.dm - a.dm) / (b.n - a.n),
      ls = (b.lm - a.lm) / (b.n - a.n);
    const even = ls > ds ? a.n + (a.dm - a.lm) / (ls - ds) : Infinity;
    console.log(
      `per socket: dump ${(ds * 1000).toFixed(2)} µs, lookups ${(ls * 1000).toFixed(2)} µs; equal cost at ~${Number.isFinite(even) ? Math.round(even) : 'never'} sockets`,
    );
  }
  for (const s of sizes) {
    s.exact.close();
    s.src.close();
  }
}
main().catch((e) => {
  console.error(`measure.js: ${e.message}`);
  process.exit(1);
});
