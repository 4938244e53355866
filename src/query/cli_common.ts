// What `tcplens query` and `tcplens flow` share after their flags are parsed:
// render the question for the server (or print it), run it, print the rows.
import { dialectFor, LEGACY, type Dialect } from '../sinks/clickhouse/dialect';
import { Output } from '../util/output';
import type { Question } from './library';
import { formatResult } from './format';
import { parseFilters, queryTarget, type QueryFlags } from './flags';
import { renderQuestion, type Rendered } from './render';
import { connect, runRendered, type ResultSet } from './run';

/** Renders and runs `q` with the flags' filters and `params`; `post` may rework the rows (flow adds deltas). */
export async function answer(
  q: Question,
  a: QueryFlags,
  params: Record<string, string | undefined>,
  post: (r: ResultSet) => ResultSet = (r) => r,
): Promise<void> {
  const filters = parseFilters(a);
  const cfg = queryTarget(a);
  const render = (dialect: Dialect): Rendered => renderQuestion(q, { database: cfg.database, dialect, filters, params });
  const out = new Output();
  if (a['print-sql']) {
    // render first: a bad value fails before any server is asked
    const r = render(a['server-version'] ? dialectFor(a['server-version']) : LEGACY);
    let sql = r;
    if (!a['server-version']) {
      const c = await connect(cfg).catch(() => null);
      if (c) {
        sql = render(c.dialect);
        await c.client.close();
      }
    }
    await out.write(`${sql.sql}\n`);
    if (Object.keys(sql.params).length) await out.write(`-- parameters: ${JSON.stringify(sql.params)}\n`);
    await out.flush();
    return;
  }
  render(LEGACY); // every value checked before the server is asked
  const { client, dialect } = await connect(cfg);
  try {
    const rs = post(await runRendered(client, cfg, render(dialect)));
    await out.write(formatResult(rs, a.format));
    await out.flush();
  } finally {
    await client.close();
  }
}
