// The rollups of migration 011 as the saved questions read them: slow-endpoints
// reads tcp_sock_1m (rtt-by-peer reads the raw polls: merging tcp_rtt_1m's exact
// quantile states cost as much, docs/queries.md). A question names a rollup
// with {{rollup:TABLE}} (its whole minutes of the window) and {{outside:TABLE}}
// (the raw rows of the rest), and merges the two. A rollup is
// read only when it can give the raw rows' answer: every filter given is one of
// its columns and every duration parameter (a bucket width) is whole minutes.
// It holds every row from the minute after its view was created (plus a minute
// for hosts' clocks running ahead of the server's); before that the raw rows answer.
import type { FilterName } from './render';

export interface Rollup {
  /** the materialized view that keeps it: its creation time bounds what the rollup holds */
  view: string;
  /** the column each common filter compares (the rollup's key); absent = the rollup cannot answer it */
  columns: Partial<Record<FilterName, string>>;
}

export const ROLLUPS: Readonly<Record<string, Rollup>> = {
  tcp_sock_1m: {
    view: 'tcp_sock_1m_mv',
    columns: {
      host: 'host',
      peer: 'dst',
      local: 'src',
      port: 'port',
      local_port: 'sport',
      peer_port: 'dport',
      netns: 'netns_inode',
      cgroup: 'cgroup_id',
    },
  },
};

/** Seconds a host's clock may run ahead of the server's: a row inserted just before
 * the view existed may carry a ts that late. */
export const ROLLUP_SKEW_S = 60;

/** No view (a schema before 011): a start no window reaches. */
const NEVER = 4_000_000_000;

/** SQL: the first minute from which the rollup holds every row (a scalar subquery on
 * system.tables; the server reads it before the key conditions that use it). */
export function coveredFromSql(db: string, r: Rollup): string {
  const after = 60 + ROLLUP_SKEW_S - 1; // the next whole minute past creation + skew
  return (
    `(SELECT toDateTime(if(count() = 1, intDiv(toUInt32(any(metadata_modification_time)) + ${after}, 60) * 60, ${NEVER})) ` +
    `FROM system.tables WHERE database = '${db}' AND name = '${r.view}')`
  );
}

/** The rollup's part of a window [since, until) (SQL of unix seconds): its whole
 * minutes, from the later of the first whole minute and the rollup's coverage. */
export function rollupSpan(since: string, until: string, coveredFrom: string): { from: string; to: string } {
  return {
    from: `greatest(toDateTime(intDiv(${since} + 59, 60) * 60), ${coveredFrom})`,
    to: `toDateTime(intDiv(${until}, 60) * 60)`,
  };
}
