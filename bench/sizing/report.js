#!/usr/bin/env node
// bench/sizing's two steps.
//   report.js measure URL DB RUN_STDERR CONTEXT_JSON   one JSON line: per table, rows and merged bytes, and
//                                                      how many periods (poll cycles, owner passes, samples) they span
//   report.js print SIZES_JSONL                        the table: rows and bytes per host per day, beside the anchors
// A day is extrapolated per table from what makes its rows: poll snapshots
// (after the first cycle) and poll_cycles per poll cycle (86400 / interval a day), socket_owners per owner
// pass (every 60 s), task_samples per sample (1 Hz), and what the churn makes
// (tcp_events, tcp_flows, destroy snapshots) per second of the run.
'use strict';
const fs = require('fs');
const path = require('path');
const { createClient } = require(path.join(__dirname, '../../node_modules/@clickhouse/client'));

const OWNERS_S = 60; // tcplens run's --owners-interval default
const SAMPLE_HZ = 1; // its --sample-hz default
const DAY = 86400;

async function measure(url, db, runErr, context) {
  const ctx = JSON.parse(context);
  const ch = createClient({ url });
  const q = async (sql) => await (await ch.query({ query: sql, format: 'JSONEachRow' })).json();
  const tables = (
    await q(`SELECT name FROM system.tables WHERE database = '${db}' AND engine LIKE '%MergeTree' AND name != 'schema_migrations'`)
  ).map((r) => r.name);
  // merged as a day's partition would be: small parts compress worse
  for (const t of tables) await ch.command({ query: `OPTIMIZE TABLE ${db}.${t} FINAL` });
  const parts = await q(`SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, sum(data_uncompressed_bytes) AS raw, count() AS parts
    FROM system.parts WHERE database = '${db}' AND active AND table != 'schema_migrations' GROUP BY table`);
  // every row carries its sink batch's id: distinct ids = INSERTs, what a fleet's cluster feels
  const inserts = {};
  // (the tables the sidecar writes: rollups are filled by the server, with no batch ids)
  const written = (await q(`SELECT table FROM system.columns WHERE database = '${db}' AND name = 'tl_batch'`)).map((r) => r.table);
  for (const t of tables.filter((x) => written.includes(x)))
    inserts[t] = Number((await q(`SELECT uniqExact(tl_batch) AS n FROM ${db}.${t}`))[0].n);
  const one = async (sql) => Number(Object.values((await q(sql))[0] ?? { n: 0 })[0]);
  // the first cycle is left out of the poll rate: with --changes-only it writes
  // every socket, the later ones only those that moved (a day has 8640 cycles)
  const cycleTs = (await q(`SELECT DISTINCT toUInt32(ts) AS t FROM ${db}.poll_cycles ORDER BY t`)).map((r) => Number(r.t));
  if (cycleTs.length < 2) throw new Error(`${db}: ${cycleTs.length} poll cycle(s): run longer than two intervals`);
  const after = Math.floor((cycleTs[0] + cycleTs[1]) / 2);
  const periods = {
    poll_rows: await one(`SELECT count() FROM ${db}.tcp_snapshots WHERE view = 'poll' AND toUInt32(ts) > ${after}`),
    first_cycle_rows: await one(`SELECT count() FROM ${db}.tcp_snapshots WHERE view = 'poll' AND toUInt32(ts) <= ${after}`),
    destroy_rows: await one(`SELECT count() FROM ${db}.tcp_snapshots WHERE view = 'destroy'`),
    cycles: cycleTs.length - 1,
    owner_passes: await one(`SELECT uniqExact(ts) FROM ${db}.socket_owners`),
    samples: await one(`SELECT uniqExact(sample_seq) FROM ${db}.task_samples`),
  };
  await ch.close();
  const logs = fs
    .readFileSync(runErr, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const totals = logs.find((l) => l.key === 'run.totals');
  if (!totals) throw new Error(`no run.totals line in ${runErr}`);
  const tableOf = Object.fromEntries(
    parts.map((p) => [
      p.table,
      { rows: Number(p.rows), bytes: Number(p.bytes), raw: Number(p.raw), parts: Number(p.parts), inserts: inserts[p.table] ?? 0 },
    ]),
  );
  // what the sink said it wrote must be what the server holds
  for (const [t, c] of Object.entries(totals.tables)) {
    if ((tableOf[t]?.rows ?? 0) !== c.written)
      throw new Error(`${t}: the run wrote ${c.written} rows, the server holds ${tableOf[t]?.rows ?? 0}`);
  }
  process.stdout.write(`${JSON.stringify({ ...ctx, tables: tableOf, periods, cycles_logged: totals.cycles })}\n`);
}

/** rows a day per table, from one measured size */
function perDay(m) {
  const t = (name) => m.tables[name] ?? { rows: 0, bytes: 0, raw: 0 };
  const p = m.periods;
  const cyclesDay = DAY / m.interval;
  const perSecond = (rows) => (rows / m.duration) * DAY;
  const snap = t('tcp_snapshots');
  const snapBytesRow = snap.rows ? snap.bytes / snap.rows : 0;
  const rows = {
    'tcp_snapshots (poll)': p.cycles ? (p.poll_rows / p.cycles) * cyclesDay : 0,
    'tcp_snapshots (destroy)': perSecond(p.destroy_rows),
    poll_cycles: (t('poll_cycles').rows / (p.cycles + 1)) * cyclesDay,
    socket_owners: p.owner_passes ? (t('socket_owners').rows / p.owner_passes) * (DAY / OWNERS_S) : 0,
    task_samples: p.samples ? (t('task_samples').rows / p.samples) * DAY * SAMPLE_HZ : 0,
    tcp_events: perSecond(t('tcp_events').rows),
    tcp_flows: perSecond(t('tcp_flows').rows),
  };
  const bytesRow = {
    'tcp_snapshots (poll)': snapBytesRow,
    'tcp_snapshots (destroy)': snapBytesRow,
  };
  for (const k of ['poll_cycles', 'socket_owners', 'task_samples', 'tcp_events', 'tcp_flows'])
    bytesRow[k] = t(k).rows ? t(k).bytes / t(k).rows : 0;
  return Object.keys(rows).map((k) => ({ table: k, rows: rows[k], bytesRow: bytesRow[k], bytes: rows[k] * bytesRow[k] }));
}

const human = (n, unit = '') => {
  const u = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)}${u[i]}${unit}`;
};
const gib = (b) => `${(b / 1024 ** 3).toFixed(b < 1024 ** 3 ? 2 : 1)} GiB`;

function print(file) {
  const sizes = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const m0 = sizes[0];
  console.log(
    `tcplens sizing: rows and bytes per host per day, ClickHouse 18.16 (Debian); poll every ${m0.interval} s${m0.changes_only ? ' --changes-only' : ''}, ` +
      `every view, ${m0.active_pct}% of the sockets sending 64 B a second, ${m0.churn} conn/s of churn (loadgen), owners every ${OWNERS_S} s, samples at ${SAMPLE_HZ} Hz; measured over ${m0.duration} s, tables merged (OPTIMIZE FINAL)`,
  );
  console.log('');
  console.log('| sockets | table | rows/day | bytes/row | bytes/day |');
  console.log('|---|---|---|---|---|');
  const summary = [];
  for (const m of sizes) {
    const rows = perDay(m);
    for (const r of rows)
      console.log(`| ${human(m.sockets)} | ${r.table} | ${human(r.rows)} | ${r.bytesRow.toFixed(1)} | ${gib(r.bytes)} |`);
    const total = rows.reduce((a, r) => ({ rows: a.rows + r.rows, bytes: a.bytes + r.bytes }), { rows: 0, bytes: 0 });
    console.log(
      `| ${human(m.sockets)} | **all tables** | **${human(total.rows)}** | ${(total.bytes / total.rows).toFixed(1)} | **${gib(total.bytes)}** |`,
    );
    summary.push({ m, rows, total });
  }
  console.log('');
  console.log(
    "Anchors, same sockets, same run (bytes per socket per poll): the kernel's inet_diag reply with every extension, " +
      'and `ss -tinmHO` text; beside a stored poll row (merged, on disk) and its uncompressed size',
  );
  console.log('');
  console.log(
    '| sockets | inet_diag reply (anchor) | ss -tinmHO text (anchor) | stored row, uncompressed | stored row, on disk | reply / stored | ss / stored |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const { m } of summary) {
    const snap = m.tables.tcp_snapshots;
    const floorPer = m.floor.bytes / m.floor.sockets;
    const ssPer = m.ss_bytes / m.floor.sockets;
    const disk = snap.bytes / snap.rows;
    const raw = snap.raw / snap.rows;
    console.log(
      `| ${human(m.sockets)} | ${floorPer.toFixed(0)} B | ${ssPer.toFixed(0)} B | ${raw.toFixed(0)} B | ${disk.toFixed(1)} B | ${(floorPer / disk).toFixed(1)}x | ${(ssPer / disk).toFixed(1)}x |`,
    );
  }
  console.log('');
  console.log('INSERTs per host (one per sink batch: every row carries its batch id), per second of the run');
  console.log('');
  console.log(`| sockets | ${Object.keys(m0.tables).sort().join(' | ')} | all tables |`);
  console.log(
    `|---|${Object.keys(m0.tables)
      .map(() => '---|')
      .join('')}---|`,
  );
  for (const { m } of summary) {
    const names = Object.keys(m0.tables).sort();
    const per = names.map((t) => (m.tables[t]?.inserts ?? 0) / m.duration);
    console.log(`| ${human(m.sockets)} | ${per.map((x) => x.toFixed(2)).join(' | ')} | ${per.reduce((a, x) => a + x, 0).toFixed(2)} |`);
  }
  console.log('');
  console.log('The sidecar during the run (whole process, start-up included): CPU and max RSS');
  console.log('');
  console.log('| sockets | cycles | CPU s | CPU share of one core | max RSS |');
  console.log('|---|---|---|---|---|');
  for (const { m } of summary) {
    const cpu = (m.rusage.user_us + m.rusage.sys_us) / 1e6;
    console.log(
      `| ${human(m.sockets)} | ${m.cycles_logged} | ${cpu.toFixed(2)} | ${((cpu / (m.rusage.wall_us / 1e6)) * 100).toFixed(1)}% | ${(m.rusage.maxrss_kb / 1024).toFixed(0)} MB |`,
    );
  }
  for (const { m, total } of summary) {
    const ins = Object.values(m.tables).reduce((a, t) => a + t.inserts, 0) / m.duration;
    console.log(
      `sizing ${m.sockets}: ${Math.round(total.rows)} rows/day, ${Math.round(total.bytes)} bytes/day, poll row ${(m.tables.tcp_snapshots.bytes / m.tables.tcp_snapshots.rows).toFixed(1)} B on disk, inet_diag ${(m.floor.bytes / m.floor.sockets).toFixed(0)} B/socket, ${ins.toFixed(2)} inserts/s`,
    );
  }
}

const [cmd, ...args] = process.argv.slice(2);
(cmd === 'measure'
  ? measure(...args)
  : cmd === 'print'
    ? Promise.resolve(print(...args))
    : Promise.reject(new Error('usage: report.js measure URL DB RUN_STDERR CONTEXT | print FILE'))
).catch((e) => {
  console.error(`sizing: ${e.message}`);
  process.exit(1);
});
