// A parameter's text can never alter a query: hostile strings (quotes,
// backslashes, comments, NULs, placeholders, multi-byte characters, and
// thousands of seeded random ones) become literals that end where tcplens
// ends them, render to the same query as a benign value, and read back from a
// real 18.16 server byte for byte.
import { expect } from 'chai';
import { stringLiteral } from '../../src/query/literal';
import { loadLibrary } from '../../src/query/library';
import { renderQuestion, type Filters } from '../../src/query/render';
import { LEGACY, MODERN } from '../../src/sinks/clickhouse/dialect';
import { Rng } from '../../src/loadgen/rng';
import { rows, sharedServer, freshSchemaDb } from '../helpers/clickhouse';

const HOSTILE = [
  "'",
  "\\'",
  "\\\\'",
  "x'; DROP TABLE tcplens.tcp_flows; --",
  "' OR 1=1 --",
  "') UNION ALL SELECT * FROM system.users --",
  "\\' OR ''='",
  '\\',
  '\\\\',
  '*/ SELECT 1 /*',
  '-- comment',
  '# hash',
  '\0',
  'a\0b',
  '\n\r\t\x1b[31m',
  '{{db}}',
  '{{where:tcp_flows}}',
  '{p_comm_1:String}',
  '{since:UInt64}',
  '$from',
  '"; SELECT 1; "',
  '`backtick`',
  '\\x27',
  '\\N',
  'é',
  '日本語',
  '😀',
  '\u2028\u2029',
  "\\'\\'\\'",
  ' '.repeat(200),
];

/** Reads a ClickHouse single-quoted literal at text[0]: its bytes and where it ends. */
function readLiteral(text: string): { bytes: Buffer; end: number } {
  expect(text[0]).to.equal("'");
  const out: number[] = [];
  let i = 1;
  for (;;) {
    const c = text[i];
    if (c === undefined) throw new Error('unterminated literal');
    if (c === "'") return { bytes: Buffer.from(out), end: i + 1 };
    if (c === '\\') {
      const n = text[i + 1]!;
      if (n === 'x') {
        out.push(parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        out.push(n.charCodeAt(0));
        i += 2;
      }
      continue;
    }
    out.push(...Buffer.from(c, 'utf8'));
    i++;
  }
}

/** seeded random strings over the characters that matter most, and any code point */
function randomStrings(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const alphabet = ["'", '\\', '"', '`', '-', '/', '*', ';', '{', '}', ':', '\0', '\n', 'x', '0', ' ', '$', '%', '?', '#'];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let s = '';
    const len = 1 + Math.floor(rng.next() * 24);
    for (let j = 0; j < len; j++) {
      if (rng.next() < 0.7) s += alphabet[Math.floor(rng.next() * alphabet.length)]!;
      else {
        let cp = Math.floor(rng.next() * 0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41; // no lone surrogates: they are not text
        s += String.fromCodePoint(cp);
      }
    }
    out.push(s);
  }
  return out;
}

const ALL = [...HOSTILE, ...randomStrings(3000, 12)];
const W: Filters = { since: 1_700_000_000n, until: 1_700_003_600n };

describe('query parameters cannot alter a query', function () {
  this.timeout(120_000);
  const lib = loadLibrary();
  const q = lib.get('top-flows')!;

  it('a string literal is printable ASCII, ends at its closing quote and decodes to the exact bytes', () => {
    for (const s of ALL) {
      const lit = stringLiteral(s);
      for (const ch of lit) expect(ch.charCodeAt(0), JSON.stringify(s)).to.be.within(0x20, 0x7e);
      const { bytes, end } = readLiteral(lit);
      expect(end, JSON.stringify(s)).to.equal(lit.length);
      expect(bytes.equals(Buffer.from(s, 'utf8')), JSON.stringify(s)).to.equal(true);
    }
  });

  it('a hostile value renders the same query as a benign one, but for its own literal; placeholders inside it stay text', () => {
    const benign = renderQuestion(q, { database: 'tcplens', dialect: LEGACY, filters: { ...W, comm: 'B', host: 'H' } }).sql;
    for (const s of ALL) {
      const r = renderQuestion(q, { database: 'tcplens', dialect: LEGACY, filters: { ...W, comm: s, host: s } }).sql;
      expect(r.split(stringLiteral(s)).join("'B'").replace("host = 'B'", "host = 'H'"), JSON.stringify(s)).to.equal(benign);
      // modern: the text carries no value at all, whatever the value
      const m = renderQuestion(q, { database: 'tcplens', dialect: MODERN, filters: { ...W, comm: s, host: s } });
      expect(m.sql).to.equal(renderQuestion(q, { database: 'tcplens', dialect: MODERN, filters: { ...W, comm: 'B', host: 'H' } }).sql);
      expect(Object.values(m.params)).to.include(s);
    }
  });

  describe('on a real ClickHouse 18.16', () => {
    const t = sharedServer();

    it('reads every hostile literal back byte for byte', async () => {
      for (let i = 0; i < ALL.length; i += 250) {
        const batch = ALL.slice(i, i + 250);
        const got = await rows<{ h: string[] }>(t.client, `SELECT [${batch.map((s) => `hex(${stringLiteral(s)})`).join(', ')}] AS h`);
        expect(got[0]!.h).to.deep.equal(batch.map((s) => Buffer.from(s, 'utf8').toString('hex').toUpperCase()));
      }
    });

    it('a question run with hostile filters finds nothing, fails nothing and changes nothing', async () => {
      const db = await freshSchemaDb(t, 'esc', { ttlDays: 0 });
      const ts = Math.floor(Date.now() / 1000) - 60;
      await t.client.insert({
        table: `${db}.tcp_flows`,
        values: [{ host: 'h', ts, src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, comm: 'curl', tcpi_bytes_acked: 5 }],
        format: 'JSONEachRow',
      });
      const window: Filters = { since: BigInt(ts - 600), until: BigInt(ts + 600) };
      const all = renderQuestion(q, { database: db, dialect: LEGACY, filters: window });
      expect(await rows(t.client, all.sql)).to.have.length(1);
      for (const s of HOSTILE) {
        for (const f of [{ comm: s }, { host: s }, { comm: s, host: s }]) {
          const r = renderQuestion(q, { database: db, dialect: LEGACY, filters: { ...window, ...f } });
          expect(await rows(t.client, r.sql), JSON.stringify(s)).to.have.length(0);
        }
      }
      expect(await rows(t.client, all.sql)).to.have.length(1);
    });
  });
});
