// Every saved question runs on a real 18.16 server with the project's schema
// and returns exactly the columns its header promises, in that order.
import { expect } from 'chai';
import { loadLibrary, type Question } from '../../src/query/library';
import { renderQuestion } from '../../src/query/render';
import { parsePeer } from '../../src/query/params';
import { LEGACY } from '../../src/sinks/clickhouse/dialect';
import { sharedServer, freshSchemaDb } from '../helpers/clickhouse';

/** the column names of a header's "columns:" line (explanations in parentheses dropped) */
export function headerColumns(q: Question): string[] {
  let s = q.columns;
  while (/\([^()]*\)/.test(s)) s = s.replace(/\([^()]*\)/g, '');
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

describe('saved questions on a real ClickHouse 18.16', function () {
  this.timeout(120_000);
  const t = sharedServer();

  it('each runs and returns the columns its header names', async () => {
    const db = await freshSchemaDb(t, 'cols', { ttlDays: 0 });
    const now = BigInt(Math.floor(Date.now() / 1000));
    for (const q of loadLibrary().values()) {
      const filters = {
        since: now - 3600n,
        until: now,
        ...(q.requires.some((r) => r.split('|').includes('peer')) ? { peer: parsePeer('10.0.0.0/8') } : {}),
        ...(q.requires.some((r) => r.split('|').includes('port')) ? { port: 443n } : {}),
      };
      const r = renderQuestion(q, { database: db, dialect: LEGACY, filters, params: { cookie: '1' } });
      const rs = await t.client.query({ query: r.sql, format: 'JSON' });
      const body = (await rs.json()) as { meta: Array<{ name: string }> };
      expect(
        body.meta.map((m) => m.name),
        q.name,
      ).to.deep.equal(headerColumns(q));
    }
  });
});
