// The Grafana dashboards' SQL is the saved questions' (schema/queries/), rendered
// for the Altinity ClickHouse data source: its macros stand for the window and
// the step ($from, $to: unix seconds; $interval: seconds), every other value is
// the question's default as a literal (a dashboard cannot send server parameters).
// scripts/gen-dashboards.js writes the panels from here.
import type { Dialect } from '../sinks/clickhouse/dialect';
import type { Question } from './library';
import { renderQuestion } from './render';

/** Grafana's macros for the question's window and step (ns, as the question's duration parameters are). */
export const GRAFANA_MACROS: Readonly<Record<string, string>> = {
  since: '$from',
  until: '$to',
  step: '($interval * 1000000000)',
};

/** The question as a table panel's SQL. */
export function dashboardSql(q: Question, dialect: Dialect, database = 'tcplens'): string {
  // the window's values are the macros: the filters' numbers are never rendered
  return renderQuestion(q, { database, dialect, filters: { since: 0n, until: 1n }, macros: GRAFANA_MACROS }).sql;
}

/** The question as a time-series panel's SQL: its bucket `t` as milliseconds first (as the
 * data source wants it), then the named value columns of its rows. */
export function timeSeriesSql(q: Question, dialect: Dialect, values: readonly string[], database = 'tcplens'): string {
  const names = new Set(q.columns.split(',').map((c) => c.trim().split(/[\s(]/)[0]));
  for (const v of ['t', ...values]) if (!names.has(v)) throw new Error(`${q.name}: no column ${v} in its header`);
  return `SELECT toUInt64(toUInt32(t)) * 1000 AS t, ${values.join(', ')}\nFROM\n(\n${dashboardSql(q, dialect, database)}\n)`;
}
