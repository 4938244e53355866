// bench/ehash's measurement: node measure.js ROOT REPS DUMPS SHARED_NS [OWN_NS]
'use strict';
const { spawnSync } = require('child_process');
const os = require('os');
const [root, reps, dumps, shared, own] = process.argv.slice(2);
const { addon } = require(`${root}/dist/src/native/addon`);
const { PollBatch } = require(`${root}/dist/src/layout/batch`);
const { TCPF_CLOSE, TCPF_LISTEN, TCPF_BOUND_INACTIVE, splitStates } = require(`${root}/dist/src/sources/listen_states`);
const { ALL_STATES } = require(`${root}/dist/src/format/tcp_states`);

const KINDS = [
  ['empty dump (established hash walk)', TCPF_CLOSE],
  ['every state (poll, --listen-interval every)', ALL_STATES],
  ['established states (poll, --listen-interval)', splitStates(ALL_STATES).flows],
  ['listeners (listen view)', TCPF_LISTEN],
  ['bound-only, 6.5+ (not polled by run)', TCPF_BOUND_INACTIVE],
];
const batch = new PollBatch(64);
const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

async function dumpMs(sock, states) {
  const c0 = process.cpuUsage();
  sock.begin({ families: 3, states, ext: 0 });
  for (;;) {
    const r = await sock.fill(batch.buffer, batch.capacity);
    if (r.errno) throw new Error(`dump failed: ${r.code}`);
    if (r.done) break;
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** TCP sockets of the whole host (sockstat's alloc counts every namespace's): the shared walks pass them all */
function hostSockets() {
  const m = /TCP: .*alloc (\d+)/.exec(require('fs').readFileSync('/proc/net/sockstat', 'utf8'));
  return m ? Number(m[1]) : null;
}

function ehash(path) {
  const r = spawnSync('nsenter', [`--net=${path}`, 'cat', '/proc/sys/net/ipv4/tcp_ehash_entries'], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

async function main() {
  const tables = [['shared', shared], ...(own ? [['own', own]] : [])];
  const socks = Object.fromEntries(tables.map(([k, p]) => [k, new (addon().DiagSocket)(p)]));
  const runs = {}; // kind|table -> run medians
  for (let r = 0; r < Number(reps); r++) {
    // interleaved: every kind in every table within a run, so load shifts hit all alike
    for (const [name, states] of KINDS) {
      for (const [t] of tables) {
        await dumpMs(socks[t], states); // warm
        const xs = [];
        for (let i = 0; i < Number(dumps); i++) xs.push(await dumpMs(socks[t], states));
        (runs[`${name}|${t}`] ??= []).push(median(xs));
      }
    }
  }
  const sizes = tables.map(([t, p]) => `${t} ${ehash(p) ?? 'n/a'}`).join(', ');
  console.log(`tcplens ehash benchmark: kernel ${os.release()}, tcp_ehash_entries: ${sizes} (negative: the host's, shared)`);
  console.log(
    `medians of ${reps} runs of ${dumps} dumps, ms of CPU per dump (IPv4 + IPv6); ${hostSockets()} TCP sockets on the host; load ${os.loadavg()[0].toFixed(1)}`,
  );
  const anchor = median(runs[`${KINDS[1][0]}|shared`]);
  const head = ['dump', 'shared ms', ...(own ? ['own ms', 'own/shared'] : []), 'shared/every-state'];
  console.log(head.join(' | '));
  for (const [name] of KINDS) {
    const s = median(runs[`${name}|shared`]);
    const cells = [name, s.toFixed(3)];
    if (own) {
      const o = median(runs[`${name}|own`]);
      cells.push(o.toFixed(3), (o / s).toFixed(3));
    }
    cells.push((s / anchor).toFixed(3));
    console.log(cells.join(' | '));
  }
  for (const s of Object.values(socks)) s.close();
}
main().catch((e) => {
  console.error(`measure.js: ${e.message}`);
  process.exit(1);
});
