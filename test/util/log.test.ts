// Structured logs: JSON lines with levels, credentials redacted, each key
// rate limited with the suppressed lines counted.
import { expect } from 'chai';
import { Logger, parseLevel, redact, REDACTED } from '../../src/util/log';
import { TcplensError } from '../../src/util/errors';

function capture(opts: ConstructorParameters<typeof Logger>[0] = {}): {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  clock: { t: number };
} {
  const lines: Array<Record<string, unknown>> = [];
  const clock = { t: 1_700_000_000_000 };
  const log = new Logger({
    write: (l) => {
      expect(l).to.not.include('\n');
      lines.push(JSON.parse(l) as Record<string, unknown>);
    },
    now: () => clock.t,
    ...opts,
  });
  return { log, lines, clock };
}

describe('log', () => {
  it('writes one JSON line per event with ts, level, key, msg and fields; below the level nothing', () => {
    const { log, lines } = capture({ level: 'info' });
    log.debug('poll.cycle', 'not shown');
    log.info('poll.netns', 'namespace added', { netns: 'blue', inode: 4026532000, idiag_cookie: 12n });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.equal({
      ts: '2023-11-14T22:13:20.000Z',
      level: 'info',
      key: 'poll.netns',
      msg: 'namespace added',
      netns: 'blue',
      inode: 4026532000,
      idiag_cookie: '12',
    });
    log.setLevel('debug');
    log.debug('poll.cycle', 'shown');
    expect(lines).to.have.length(2);
    expect(log.written).to.include({ info: 1, debug: 1 });
  });

  it('never logs credentials: secret-looking keys, URL passwords and inline password=...', () => {
    const { log, lines } = capture();
    log.warn('sink.error', 'insert failed at https://writer:s3cr3t@ch.example:8443/?password=hunter2 with token=abc123', {
      password: 'p1',
      clickhouse_password: 'p2',
      Authorization: 'Basic d3JpdGVyOnMzY3IzdA==',
      headers: { authorization: 'Bearer x', cookie: 'sid=1' },
      apiKey: 'k',
      url: 'http://u:pw@host/',
      idiag_cookie: '123456',
      user: 'writer',
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['s3cr3t', 'hunter2', 'abc123', 'p1"', 'p2', 'd3JpdGVyOnMzY3IzdA', 'Bearer', 'sid=1', ':pw@', '"k"']) {
      expect(text, secret).to.not.include(secret);
    }
    expect(lines[0]!.password).to.equal(REDACTED);
    expect(lines[0]!.url).to.equal(`http://u:${REDACTED}@host/`);
    expect(lines[0]!.idiag_cookie).to.equal('123456'); // a socket id, not a credential
    expect(lines[0]!.user).to.equal('writer');
    expect(redact(new Error('connect to http://a:b@h failed'))).to.equal(`connect to http://a:${REDACTED}@h failed`);
  });

  it('rate limits per key and reports how many lines were suppressed on the next one', () => {
    const { log, lines, clock } = capture({ burst: 3, windowMs: 10_000 });
    for (let i = 0; i < 10; i++) log.warn('netns.enter', `cannot enter ns ${i}`);
    log.warn('other.key', 'unaffected');
    expect(lines.map((l) => l.key)).to.deep.equal(['netns.enter', 'netns.enter', 'netns.enter', 'other.key']);
    expect(log.suppressed).to.equal(7);
    clock.t += 10_000;
    log.warn('netns.enter', 'again');
    expect(lines[4]).to.include({ msg: 'again', suppressed: 7 });
    log.warn('netns.enter', 'and again');
    expect(lines[5]).to.not.have.property('suppressed');
  });

  it('--log-level: one of debug, info, warn, error, else one clear usage error', () => {
    expect(parseLevel('warn')).to.equal('warn');
    expect(() => parseLevel('verbose')).to.throw(TcplensError, /^--log-level: "verbose" is not one of debug, info, warn, error$/);
  });
});
