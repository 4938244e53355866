#!/usr/bin/env node
// Records one full inet_diag dump of the current network namespace as a parser
// fixture, with what it must decode to according to an independent reader (ss).
//
//   ip netns exec NS node scripts/record-fixture.js OUT.bin [--workload SPEC] [--many SPEC] [--basic]
//
// --workload SPEC  start test/helpers/workload.py SPEC (may repeat) in this namespace first
// --many SPEC      start test/helpers/many_sockets.py SPEC (may repeat)
// --basic          keep only a few fields per socket in the expectation (big fixtures)
//
// Writes OUT.bin (the tap: [u32 length LE][chunk bytes]..., as DiagSocket.tap(false)
// returns it) and OUT.expect.json. The expectation never comes from tcplens'
// parser: it is `ss -tinmeHOa` read just before and just after the dump, keeping
// only sockets and fields on which both reads agree (an idle workload: the
// counters that tick, like lastsnd, drop out), plus what the workload spec set
// (tos/tclass/mark/cong/shutdown of a client). The dump's own row count is only
// used to refuse a recording whose socket set moved under it.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { spawn, execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const addon = require(path.join(ROOT, 'build', 'Release', 'tcplens.node'));

// ss's state names, index = the kernel's TCP state number.
const { SS_STATE_NAMES: SS_STATES } = require(path.join(ROOT, 'dist', 'src', 'format', 'tcp_states.js'));

// ss -i "name:value" tokens -> poll columns. `scale`: ss prints ms, tcp_info has us.
const SS_INFO = {
  rto: ['tcpi_rto', 1000],
  ato: ['tcpi_ato', 1000],
  mss: ['tcpi_snd_mss'],
  rcvmss: ['tcpi_rcv_mss'],
  advmss: ['tcpi_advmss'],
  pmtu: ['tcpi_pmtu'],
  cwnd: ['tcpi_snd_cwnd'],
  ssthresh: ['tcpi_snd_ssthresh'],
  bytes_sent: ['tcpi_bytes_sent'],
  bytes_retrans: ['tcpi_bytes_retrans'],
  bytes_acked: ['tcpi_bytes_acked'],
  bytes_received: ['tcpi_bytes_received'],
  segs_out: ['tcpi_segs_out'],
  segs_in: ['tcpi_segs_in'],
  data_segs_out: ['tcpi_data_segs_out'],
  data_segs_in: ['tcpi_data_segs_in'],
  delivered: ['tcpi_delivered'],
  rcv_space: ['tcpi_rcv_space'],
  rcv_ssthresh: ['tcpi_rcv_ssthresh'],
  snd_wnd: ['tcpi_snd_wnd'],
  rcv_wnd: ['tcpi_rcv_wnd'],
  reordering: ['tcpi_reordering'],
};
// ss prints these counters only when non-zero (iproute2 misc/ss.c tcp_stats_print),
// so with tcp info present, absent means 0.
const SS_ZERO_SUPPRESSED = [
  'bytes_sent',
  'bytes_retrans',
  'bytes_acked',
  'bytes_received',
  'segs_out',
  'segs_in',
  'data_segs_out',
  'data_segs_in',
];
const SKMEM = {
  r: 'skmem_rmem_alloc',
  rb: 'skmem_rcvbuf',
  t: 'skmem_wmem_alloc',
  tb: 'skmem_sndbuf',
  f: 'skmem_fwd_alloc',
  w: 'skmem_wmem_queued',
  o: 'skmem_optmem',
  bl: 'skmem_backlog',
  d: 'skmem_drops',
};
// ss -e prints the shutdown mask as two arrows: '<' unless RCV_SHUTDOWN(1), '>' unless SEND_SHUTDOWN(2).
const ARROWS = { '<->': 0, '-->': 1, '<--': 2, '---': 3 };

const BASIC = [
  'idiag_family',
  'idiag_state',
  'sport',
  'dport',
  'idiag_inode',
  'idiag_rqueue',
  'idiag_wqueue',
  'tcpi_bytes_acked',
  'tcpi_bytes_received',
];

function splitHostPort(s) {
  const i = s.lastIndexOf(':');
  let host = s.slice(0, i);
  const port = s.slice(i + 1);
  const v6 = host.startsWith('[');
  if (v6) host = host.slice(1, -1);
  if (host === '*') host = v6 ? '::' : '0.0.0.0';
  return { host, port: port === '*' ? 0 : Number(port), v6 };
}

/** One ss line -> { cookie, cong?, src, dst, cols: {column: number} } */
function parseSsLine(line, congNames) {
  const tok = line.trim().split(/\s+/);
  const state = SS_STATES.indexOf(tok[0]);
  if (state < 0) throw new Error(`ss: unknown state in: ${line}`);
  const local = splitHostPort(tok[3]);
  const peer = splitHostPort(tok[4]);
  const cols = {
    idiag_state: state,
    idiag_family: local.v6 ? 10 : 2,
    idiag_rqueue: Number(tok[1]),
    idiag_wqueue: Number(tok[2]),
    sport: local.port,
    dport: peer.port,
  };
  const out = { cookie: null, cong: undefined, src: local.host, dst: peer.host, cols };
  let info = false;
  for (const t of tok.slice(5)) {
    let m;
    if ((m = /^sk:([0-9a-f]+)$/.exec(t))) out.cookie = BigInt('0x' + m[1]).toString();
    else if ((m = /^ino:(\d+)$/.exec(t))) cols.idiag_inode = Number(m[1]);
    else if ((m = /^uid:(\d+)$/.exec(t))) cols.idiag_uid = Number(m[1]);
    else if ((m = /^fwmark:(0x[0-9a-f]+)$/.exec(t))) cols.mark = Number(m[1]);
    else if ((m = /^v6only:(\d)$/.exec(t))) cols.v6only = Number(m[1]);
    else if (t in ARROWS) cols.shutdown = ARROWS[t];
    else if ((m = /^skmem:\((.*)\)$/.exec(t))) {
      for (const kv of m[1].split(',')) {
        const k = /^([a-z]+)(\d+)$/.exec(kv);
        if (k && SKMEM[k[1]]) cols[SKMEM[k[1]]] = Number(k[2]);
      }
    } else if ((m = /^wscale:(\d+),(\d+)$/.exec(t))) {
      cols.tcpi_snd_wscale = Number(m[1]);
      cols.tcpi_rcv_wscale = Number(m[2]);
    } else if ((m = /^([a-z_]+):([\d.]+)$/.exec(t)) && SS_INFO[m[1]]) {
      const [col, scale] = SS_INFO[m[1]];
      cols[col] = Math.round(Number(m[2]) * (scale || 1));
      if (m[1] === 'cwnd') info = true;
    } else if (t === 'app_limited') cols.tcpi_delivery_rate_app_limited = 1;
    else if (congNames.has(t)) out.cong = t;
  }
  if (info) {
    // printed only when set (iproute2 misc/ss.c: if (s->app_limited))
    if (cols.tcpi_delivery_rate_app_limited === undefined) cols.tcpi_delivery_rate_app_limited = 0;
    for (const k of SS_ZERO_SUPPRESSED) if (cols[SS_INFO[k][0]] === undefined) cols[SS_INFO[k][0]] = 0;
  }
  if (!out.cookie) throw new Error(`ss: no sk: cookie in: ${line}`);
  return out;
}

function readSs(congNames) {
  const text = execFileSync('ss', ['-tinmeHOa'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  const m = new Map();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const s = parseSsLine(line, congNames);
    m.set(s.cookie, s);
  }
  return m;
}

function startHelper(script, spec) {
  const proc = spawn('python3', [path.join(ROOT, 'test', 'helpers', script), spec], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
    proc.once('exit', (code) => reject(new Error(`${script} exited early (${code})`)));
    rl.once('line', (line) => {
      proc.removeAllListeners('exit');
      resolve({ proc, info: JSON.parse(line) });
    });
  });
}

function stopHelper(h) {
  return new Promise((res) => {
    if (h.proc.exitCode !== null) return res();
    h.proc.once('exit', () => res());
    h.proc.stdin.end();
  });
}

async function tapDump() {
  const s = new addon.DiagSocket();
  try {
    s.tap(true);
    s.begin({});
    const cap = 256;
    const buf = new ArrayBuffer(addon.layout(cap).bytes);
    let rows = 0;
    for (;;) {
      const r = await s.fill(buf, cap);
      if (r.errno) throw new Error(`dump failed: ${r.code}`);
      rows += r.rows;
      if (r.done) break;
    }
    return { rec: s.tap(false), rows, stats: s.stats() };
  } finally {
    s.close();
  }
}

function chunkSizes(rec) {
  const sizes = [];
  for (let off = 0; off + 4 <= rec.length; off += 4 + rec.readUInt32LE(off)) sizes.push(rec.readUInt32LE(off));
  return sizes;
}

async function main() {
  const args = process.argv.slice(2);
  const out = args.find((a, i) => !a.startsWith('--') && (i === 0 || !['--workload', '--many'].includes(args[i - 1])));
  if (!out) throw new Error('usage: record-fixture.js OUT.bin [--workload SPEC]... [--many SPEC]... [--basic]');
  const basic = args.includes('--basic');
  const helpers = [];
  try {
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--workload') helpers.push(await startHelper('workload.py', args[++i]));
      if (args[i] === '--many') helpers.push(await startHelper('many_sockets.py', args[++i]));
    }
    await new Promise((r) => setTimeout(r, 500));
    const congNames = new Set(fs.readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').split(/\s+/).filter(Boolean));

    const before = readSs(congNames);
    const { rec, rows, stats } = await tapDump();
    const after = readSs(congNames);

    const same = [...before.keys()].length === after.size && [...before.keys()].every((k) => after.has(k));
    if (!same || rows !== before.size) {
      throw new Error(`the socket set moved during the recording (ss ${before.size} -> ${after.size}, dump ${rows}); run again`);
    }

    // What the workload specs set, by (family, sport, dport).
    const specBy = new Map();
    for (const h of helpers) {
      for (const w of h.info.sockets) specBy.set(`${w.family}/${w.sport}/${w.dport}`, w);
    }

    const fields = new Set();
    const sockets = [];
    for (const [cookie, a] of before) {
      const b = after.get(cookie);
      const cols = {};
      for (const [k, v] of Object.entries(a.cols)) {
        if (b.cols[k] === v && (!basic || BASIC.includes(k))) cols[k] = v;
      }
      const s = { cookie, src: a.src, dst: a.dst, cong: a.cong === b.cong ? (a.cong ?? null) : null, cols, spec: {} };
      const w = specBy.get(`${cols.idiag_family}/${cols.sport}/${cols.dport}`);
      if (w && w.role === 'client') {
        if (w.tos !== undefined) s.spec.tos = w.tos;
        if (w.tclass !== undefined) s.spec.tclass = w.tclass;
        if (w.mark !== undefined) s.spec.mark = w.mark;
        if (w.shutdown === 'wr') s.spec.shutdown = 2; // SEND_SHUTDOWN
        if (w.cong !== undefined) s.spec.cong = w.cong;
      }
      for (const k of Object.keys(cols)) fields.add(k);
      sockets.push(s);
    }
    const fieldList = [...fields].sort();
    const sizes = chunkSizes(rec);

    // Tabular JSON, one socket per line: small and diffable.
    const header = {
      comment:
        'Expected decode of the .bin next to this file, read by ss (iproute2) in the same namespace before and after the dump; fields that moved between the two reads are left out (null). spec: what the workload set. Written by scripts/record-fixture.js.',
      recording: path.basename(out),
      kernel: os.release(),
      ss: execFileSync('ss', ['-V'], { encoding: 'utf8' }).trim(),
      recordedAt: new Date().toISOString(),
      rows: before.size,
      chunks: sizes.length,
      congNames: [...new Set(sockets.map((s) => s.cong).filter(Boolean))].sort(),
      fields: ['cookie', 'src', 'dst', 'cong', ...fieldList, 'spec'],
    };
    const lines = sockets.map((s) =>
      JSON.stringify([s.cookie, s.src, s.dst, s.cong, ...fieldList.map((f) => (s.cols[f] === undefined ? null : s.cols[f])), s.spec]),
    );
    const json = JSON.stringify(header, null, 2).replace(/\n}$/, `,\n  "sockets": [\n    ${lines.join(',\n    ')}\n  ]\n}\n`);
    fs.writeFileSync(out, rec);
    fs.writeFileSync(out.replace(/\.bin$/, '') + '.expect.json', json);
    console.log(
      `${out}: ${rec.length} bytes, ${sizes.length} chunks (largest ${Math.max(...sizes)}), ${before.size} sockets; parse stats ${JSON.stringify({ rows: stats.rows, parseErrors: stats.parseErrors })}`,
    );
  } finally {
    for (const h of helpers) await stopHelper(h);
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
