// What `tcplens query` and `tcplens flow` share after their flags are parsed:
// render the question for the server (or print it), run it, print the rows.
import { dialectFor, LEGACY, type Dialect } from '../sinks/clickhouse/dialect';
import { Output } from '../util/output';
import type { Question } from './library';
import { formatResult, type Format } from './format';
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
    // printed, never run: no server is asked (--server-version picks the dialect, else 18.16's)
    const sql = render(a['server-version'] ? dialectFor(a['server-version']) : LEGACY);
    await out.write(`${sql.sql}\n`);
    if (Object.keys(sql.params).length) await out.write(`-- parameters: ${JSON.stringify(sql.params)}\n`);
    await out.flush();
    return;
  }
  await printResult(post(await ask(q, a, params)), a.format);
}

/** The question's rows (every value checked before the server is asked). */
export async function ask(q: Question, a: QueryFlags, params: Record<string, string | undefined>): Promise<ResultSet> {
  const filters = parseFilters(a);
  const cfg = queryTarget(a);
  renderQuestion(q, { database: cfg.database, dialect: LEGACY, filters, params });
  const { client, dialect } = await connect(cfg);
  try {
    return await runRendered(client, cfg, renderQuestion(q, { database: cfg.database, dialect, filters, params }));
  } finally {
    await client.close();
  }
}

export async function printResult(r: ResultSet, f: Format): Promise<void> {
  const out = new Output();
  await out.write(formatResult(r, f));
  await out.flush();
}
