// The saved questions without a server: the library holds the questions the
// runbooks cite, each renders for 18.16 and for modern servers with no
// placeholder left, and the typed parsers accept what they should and refuse
// the rest in one line.
import { expect } from 'chai';
import { loadLibrary } from '../../src/query/library';
import { acceptedFilters, renderQuestion, type Filters } from '../../src/query/render';
import { parsePeer, parseTime, parseUInt, parseNetns } from '../../src/query/params';
import { LEGACY, MODERN } from '../../src/sinks/clickhouse/dialect';
import { TcplensError } from '../../src/util/errors';

const NAMES = [
  'retransmit-top',
  'rtt-by-peer',
  'handshake-failures',
  'resets-by-peer',
  'slow-endpoints',
  'listen-overflows',
  'short-lived',
  'who-talked',
  'top-flows',
  'view-coverage',
  'flow-timeline',
  'flow-find',
  'retransmit-rate',
  'rtt-over-time',
];

const usageError = (fn: () => unknown): TcplensError => {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(TcplensError);
    expect((e as TcplensError).code).to.equal('EUSAGE');
    expect((e as Error).message).to.not.include('\n');
    return e as TcplensError;
  }
  throw new Error('no error');
};

describe('saved questions: library and rendering', () => {
  const lib = loadLibrary();
  const all: Filters = {
    since: 1_700_000_000n,
    until: 1_700_003_600n,
    host: 'h1',
    peer: parsePeer('10.0.0.0/8'),
    port: 443n,
    pid: 42n,
    comm: 'curl',
    cgroup: 7n,
    netns: 4026531840n,
  };

  it('holds the questions the runbooks cite, each with purpose, columns and a window', () => {
    expect([...lib.keys()].sort()).to.deep.equal([...NAMES].sort());
    for (const q of lib.values()) {
      expect(q.purpose, q.name).to.have.length.greaterThan(10);
      expect(q.columns, q.name).to.have.length.greaterThan(5);
      expect(q.whereTables.length, q.name).to.be.greaterThan(0);
      expect(
        q.params.map((p) => p.name),
        q.name,
      ).to.include('limit');
    }
  });

  it('--local and the one-sided ports filter our end and theirs; flow-find takes either address and any port', () => {
    const q = lib.get('flow-find')!;
    const f: Filters = { since: 1n, until: 2n, local: parsePeer('10.0.0.0/24'), local_port: 80n, peer_port: 443n };
    const sql = renderQuestion(q, { database: 'db', dialect: LEGACY, filters: f }).sql;
    expect(sql).to.include("local_addr BETWEEN toFixedString(unhex('00000000000000000000ffff0a000000'), 16)");
    expect(sql).to.include("src BETWEEN toFixedString(unhex('00000000000000000000ffff0a000000'), 16)");
    expect(sql).to.include('sport = 80').and.include('dport = 443');
    const modern = renderQuestion(q, { database: 'db', dialect: MODERN, filters: f });
    expect(modern.sql).to.include('local_addr BETWEEN toFixedString(unhex({p_local_lo_');
    expect(Object.values(modern.params)).to.include('00000000000000000000ffff0a0000ff');
    expect(
      usageError(() => renderQuestion(q, { database: 'db', dialect: LEGACY, filters: { since: 1n, until: 2n, port: 1n } })).message,
    ).to.equal('flow-find needs --peer or --local');
    expect(
      usageError(() => renderQuestion(q, { database: 'db', dialect: LEGACY, filters: { since: 1n, until: 2n, local: parsePeer('::1') } }))
        .message,
    ).to.equal('flow-find needs --port or --local-port or --peer-port');
    expect(
      usageError(() =>
        renderQuestion(lib.get('listen-overflows')!, { database: 'db', dialect: LEGACY, filters: { since: 1n, until: 2n, pid: 1n } }),
      ).message,
    ).to.match(/^--pid does not apply to listen-overflows/);
  });

  for (const [label, dialect] of [
    ['18.16', LEGACY],
    ['modern', MODERN],
  ] as const) {
    it(`${label}: every question renders with every filter it accepts, no placeholder left`, () => {
      for (const q of lib.values()) {
        const f: Filters = { since: all.since, until: all.until };
        for (const name of acceptedFilters(q)) (f as unknown as Record<string, unknown>)[name] = all[name];
        const r = renderQuestion(q, { database: 'tcplens', dialect, filters: f, params: { cookie: '12345' } });
        expect(r.sql, q.name).to.not.match(/\{\{|\}\}/);
        expect(r.sql, q.name).to.include('tcplens.');
        if (dialect.modern) {
          // user values travel as parameters: none of them is in the text
          expect(r.sql, q.name).to.not.include("'curl'");
          expect(r.sql, q.name).to.not.include('1700000000');
          expect(Object.values(r.params), q.name).to.include('1700000000');
          for (const m of r.sql.matchAll(/\{(p_\w+):(\w+)\}/g)) expect(r.params, q.name).to.have.property(m[1]!);
        } else {
          expect(r.params, q.name).to.deep.equal({});
          expect(r.sql, q.name).to.include('toDateTime(1700000000)');
        }
      }
    });
  }

  it('refuses a filter the question cannot answer, a missing required one, and a bad parameter', () => {
    const w = { since: all.since, until: all.until };
    usageError(() => renderQuestion(lib.get('rtt-by-peer')!, { database: 'tcplens', dialect: LEGACY, filters: { ...w, pid: 1n } }));
    usageError(() => renderQuestion(lib.get('who-talked')!, { database: 'tcplens', dialect: LEGACY, filters: w }));
    usageError(() => renderQuestion(lib.get('flow-timeline')!, { database: 'tcplens', dialect: LEGACY, filters: w }));
    usageError(() =>
      renderQuestion(lib.get('retransmit-top')!, { database: 'tcplens', dialect: LEGACY, filters: w, params: { by: "peer' OR 1" } }),
    );
    usageError(() =>
      renderQuestion(lib.get('top-flows')!, { database: 'tcplens', dialect: LEGACY, filters: w, params: { limit: '1; DROP' } }),
    );
    usageError(() => renderQuestion(lib.get('top-flows')!, { database: 'x; DROP', dialect: LEGACY, filters: w }));
    usageError(() => renderQuestion(lib.get('top-flows')!, { database: 'tcplens', dialect: LEGACY, filters: { since: 5n, until: 5n } }));
  });

  it('parses addresses and CIDRs of both families into 16-byte ranges', () => {
    const hex = (s: string): [string, string] => {
      const r = parsePeer(s);
      return [r.lo.toString('hex'), r.hi.toString('hex')];
    };
    expect(hex('10.1.2.3')).to.deep.equal(['00000000000000000000ffff0a010203', '00000000000000000000ffff0a010203']);
    expect(hex('10.1.2.3/16')).to.deep.equal(['00000000000000000000ffff0a010000', '00000000000000000000ffff0a01ffff']);
    expect(hex('0.0.0.0/0')).to.deep.equal(['00000000000000000000ffff00000000', '00000000000000000000ffffffffffff']);
    expect(hex('2001:db8::1/127')).to.deep.equal(['20010db8000000000000000000000000', '20010db8000000000000000000000001']);
    expect(hex('::ffff:10.0.0.1')).to.deep.equal(['00000000000000000000ffff0a000001', '00000000000000000000ffff0a000001']);
    expect(hex('fe80::/10')[1]).to.equal('febfffffffffffffffffffffffffffff');
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0', 'example.com', '10.0.0.1/-1', '::1/8/8', "1.2.3.4' OR '1"])
      usageError(() => parsePeer(bad));
  });

  it('parses times relative and absolute, whole numbers in range, namespaces by inode', () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0);
    expect(parseTime('1h', 'since', now)).to.equal(BigInt(now / 1000 - 3600));
    expect(parseTime('30m', 'since', now)).to.equal(BigInt(now / 1000 - 1800));
    expect(parseTime('2d', 'since', now)).to.equal(BigInt(now / 1000 - 2 * 86400));
    expect(parseTime('2026-12-04T10:00:00Z', 'since', now)).to.equal(BigInt(Date.UTC(2026, 11, 4, 10) / 1000));
    expect(parseTime('2026-12-04 10:00', 'since', now)).to.equal(BigInt(Date.UTC(2026, 11, 4, 10) / 1000));
    expect(parseTime('2026-12-04', 'since', now)).to.equal(BigInt(Date.UTC(2026, 11, 4) / 1000));
    expect(parseTime('1764842400', 'since', now)).to.equal(1764842400n);
    for (const bad of ['yesterday', '1y', '-1h', '2026-13-45', "1h'; --", '']) usageError(() => parseTime(bad, 'since', now));
    expect(parseUInt('18446744073709551615', 'cookie')).to.equal((1n << 64n) - 1n);
    for (const bad of ['18446744073709551616', '-1', '1e3', '0x10', '1.0', ' ', '1 OR 1']) usageError(() => parseUInt(bad, 'cookie'));
    usageError(() => parseUInt('65536', 'port', 65535n));
    expect(parseNetns('4026531840')).to.equal(4026531840n);
    usageError(() => parseNetns('no-such-namespace-here'));
  });
});
