// The rows bench/queries (bench.ts, keys.ts) asks its questions over, made on
// the server (INSERT ... SELECT FROM system.numbers, no client encoding): N
// flows, N snapshots (10 polls of each of N/10 sockets, 5% listeners), N/10
// events and N/10 task samples, over 1000 peers, 200 processes, 8 namespaces.
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { applySchema } from '../../src/sinks/clickhouse/schema';
import { startTestServer } from '../../test/helpers/clickhouse';

const PEERS = 1000;

/** mapped IPv4 10.(k/256).(k%256).1 as a FixedString(16) expression */
const mappedPeer = (k: string): string => `IPv4ToIPv6(toUInt32(167772160 + (${k}) * 256 + 1))`;

export interface SeedOptions {
  /** flows, and snapshots; events and samples a tenth of it */
  rows: number;
  /** hosts the rows are spread over (by a hash of the row: every host over the whole span); 1 = 'bench' */
  hosts?: number;
  /** seconds before now the rows are spread over (3300: the default window of 1 h covers them all) */
  spanS?: number;
}

/** Seeds db's tcp_flows, tcp_snapshots, tcp_events and task_samples on the server (INSERT ... SELECT). */
export async function seed(c: ClickHouseClient, DB: string, now: number, o: SeedOptions): Promise<void> {
  const N = o.rows;
  const span = o.spanS ?? 3300;
  // a row's host; a snapshot's is its socket's (intDiv(number, 10))
  const host = (k: string): string => ((o.hosts ?? 1) > 1 ? `concat('h', toString(cityHash64(${k}) % ${o.hosts}))` : `'bench'`);
  const cmd = (query: string): Promise<unknown> => c.command({ query, clickhouse_settings: { max_execution_time: 3600 } });
  await cmd(`INSERT INTO ${DB}.tcp_flows (host, ts, netns_inode, idiag_cookie, idiag_family, src, sport, dst, dport, views,
      open_ns, close_ns, first_seen_ns, last_seen_ns, duration_ns, final_source, direction, tcpi_bytes_acked, tcpi_bytes_received,
      tcpi_segs_in, tcpi_segs_out, tcpi_total_retrans, tcpi_rtt, bytes_unpolled, retransmit_events, reset_events, pid, tgid, comm,
      cgroup_id, close_reason, handshake, state_at_close, tcpi_min_rtt, tcpi_bytes_sent, tcpi_bytes_retrans)
    SELECT ${host('number')}, toDateTime(${now - span} + number % ${span}), 4026531840 + number % 8, number + 1, 2, '10.9.0.1', 30000 + number % 30000,
      concat('10.', toString(intDiv(number % ${PEERS}, 256)), '.', toString(number % ${PEERS} % 256), '.1'), 443 + number % 4,
      1 + (number % 15), (${now - span} + number % ${span}) * 1000000000 - 5000000 * (number % 400),
      (${now - span} + number % ${span}) * 1000000000, 0, 0, 5000000 * (number % 400), 'events', 1 + number % 2,
      number % 100000, number % 50000, 10 + number % 90, 10 + number % 100, number % 7 = 0 ? number % 5 : 0, 100 + number % 5000,
      number % 1000, number % 3, number % 50 = 0, 1000 + number % 200, 1000 + number % 200, concat('proc', toString(number % 200)),
      number % 100, ['fin', 'reset_received', 'timeout', 'fin'][1 + number % 4], number % 25 != 0, 1, 50 + number % 3000,
      number % 100000, number % 1000
    FROM system.numbers LIMIT ${N}`);
  await cmd(`INSERT INTO ${DB}.tcp_snapshots (host, ts, view, src, dst, ts_ns, idiag_cookie, netns_inode, cgroup_id, tcpi_bytes_acked,
      tcpi_bytes_received, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited, tcpi_rtt, tcpi_min_rtt, tcpi_snd_wnd, tcpi_len,
      idiag_rqueue, idiag_wqueue, sport, dport, idiag_family, idiag_state)
    SELECT ${host('intDiv(number, 10)')}, toDateTime(${now - span} + number % ${span}), 'poll', ${mappedPeer('1')}, ${mappedPeer(`(intDiv(number, 10) % ${PEERS})`)},
      (${now - span} + number % ${span}) * 1000000000, intDiv(number, 10) + 1, 4026531840 + intDiv(number, 10) % 8, intDiv(number, 10) % 100,
      number % 100000, number % 50000, number % 10000, number % 997, number % 13, 100 + number % 5000, 50 + number % 3000,
      number % 11 = 0 ? 0 : 65535, 232, number % 31, number % 17, 30000 + intDiv(number, 10) % 30000, 443 + intDiv(number, 10) % 4, 2,
      number % 20 = 0 ? 10 : 1
    FROM system.numbers LIMIT ${N}`);
  await cmd(`INSERT INTO ${DB}.tcp_events (host, ts, src, dst, ts_ns, idiag_cookie, netns_inode, pid, tgid, comm, sport, dport, kind,
      idiag_family, oldstate, newstate, flags)
    SELECT ${host('number')}, toDateTime(${now - span} + number % ${span}), ${mappedPeer('1')}, ${mappedPeer(`(number % ${PEERS})`)},
      (${now - span} + number % ${span}) * 1000000000, number + 1, 4026531840 + number % 8, 1000 + number % 200, 1000 + number % 200,
      concat('proc', toString(number % 200)), 30000 + number % 30000, 443 + number % 4, 1 + number % 7, 2, 1 + number % 11, 7, 3
    FROM system.numbers LIMIT ${Math.ceil(N / 10)}`);
  await cmd(`INSERT INTO ${DB}.task_samples (host, ts, src, dst, ts_ns, idiag_cookie, netns_inode, pid, tgid, comm, sport, dport, idiag_family, idiag_state)
    SELECT ${host('number')}, toDateTime(${now - span} + number % ${span}), ${mappedPeer('1')}, ${mappedPeer(`(number % ${PEERS})`)},
      (${now - span} + number % ${span}) * 1000000000, number + 1, 4026531840 + number % 8, 1000 + number % 200, 1000 + number % 200,
      concat('proc', toString(number % 200)), 30000 + number % 30000, 443, 2, 1
    FROM system.numbers LIMIT ${Math.ceil(N / 10)}`);
}

/** Runs a bench on a private ClickHouse (Debian's 18.16) with db's schema, removed after; an error exits 1. */
export function onPrivateServer(db: string, bench: (c: ClickHouseClient) => Promise<void>): void {
  const run = async (): Promise<void> => {
    const t = await startTestServer();
    // seeding millions of rows takes minutes: past the client's default 30 s request timeout
    const c = createClient({ url: t.url, request_timeout: 3_600_000, log: { level: ClickHouseLogLevel.OFF } });
    try {
      await applySchema(c, { database: db, ttlDays: 0 });
      await bench(c);
    } finally {
      await c.close();
      await t.cleanup();
    }
  };
  run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
