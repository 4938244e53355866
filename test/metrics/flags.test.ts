// --listen / --debug-endpoints / --log-level as `tcplens run` will parse them.
import { expect } from 'chai';
import yargs from 'yargs';
import { metricsFlags, metricsOptions } from '../../src/metrics/flags';
import { startMetrics } from '../../src/metrics/server';
import { log, Logger } from '../../src/util/log';
import { TcplensError } from '../../src/util/errors';
import { scrape } from './scrape';

const parse = (argv: string[]) =>
  metricsFlags(
    yargs(argv)
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .strict(),
  ).parseSync();

describe('metrics flags', () => {
  after(() => log.setLevel('info'));

  it('defaults: 127.0.0.1:9088, debug endpoints off, level info', () => {
    const o = metricsOptions(parse([]));
    expect(o).to.include({ listen: '127.0.0.1:9088', debug: false });
    // BPF run-time stats times every program of the host: held 10 s of every 5 min
    expect(o.bpfStats).to.deep.equal({ forMs: 10_000, everyMs: 300_000 });
    expect(log.enabled('info')).to.equal(true);
    expect(log.enabled('debug')).to.equal(false);
  });

  it('takes the flags and sets the log level', () => {
    const o = metricsOptions(parse(['--listen', '[::1]:9999', '--debug-endpoints', '--log-level', 'warn', '--no-bpf-stats']));
    expect(o).to.include({ listen: '[::1]:9999', debug: true, bpfStats: false });
    expect(log.enabled('info')).to.equal(false);
  });

  it('--bpf-stats: on, off, FOR/EVERY', () => {
    expect(metricsOptions(parse(['--bpf-stats', 'on'])).bpfStats).to.equal(true);
    expect(metricsOptions(parse(['--bpf-stats', 'off'])).bpfStats).to.equal(false);
    expect(metricsOptions(parse(['--bpf-stats', '2s/1m'])).bpfStats).to.deep.equal({ forMs: 2000, everyMs: 60_000 });
    expect(() => metricsOptions(parse(['--bpf-stats', 'sometimes']))).to.throw(
      TcplensError,
      /^--bpf-stats: "sometimes" is not on, off or FOR\/EVERY/,
    );
    expect(() => metricsOptions(parse(['--bpf-stats', '1m/10s']))).to.throw(
      TcplensError,
      /^--bpf-stats: FOR \(1m\) must be shorter than EVERY/,
    );
    expect(() => metricsOptions(parse(['--bpf-stats', 'x/10s']))).to.throw(TcplensError, /^--bpf-stats: "x" is not a duration/);
  });

  it('bad values are one usage line', () => {
    expect(() => metricsOptions(parse(['--listen', 'localhost']))).to.throw(TcplensError, /^--listen: "localhost" is not HOST:PORT/);
    expect(() => parse(['--log-level', 'loud'])).to.throw(/Invalid values/);
  });

  it('the log counts show in /metrics', async () => {
    const logger = new Logger({ write: () => undefined, burst: 1 });
    const m = await startMetrics({ listen: '127.0.0.1:0', logger, bpfStats: false }, {});
    logger.warn('k', 'one');
    logger.warn('k', 'two');
    const s = await scrape(m.url);
    await m.close();
    expect(s.get('tcplens_log_lines_total', { level: 'warn' })).to.equal(1);
    expect(s.get('tcplens_log_lines_total', { level: 'info' })).to.equal(1); // "metrics server listening"
    expect(s.get('tcplens_log_suppressed_total')).to.equal(1);
  });
});
