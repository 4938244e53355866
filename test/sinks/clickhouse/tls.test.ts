// TLS to a real ClickHouse 18.16 serving https_port with certificates made by
// openssl here (a CA, a server certificate for 127.0.0.1 signed by it, a
// client certificate, and a second CA that signed nothing of the server's),
// and a user with a password: the sink writes and `schema apply`/`query`
// answer through a verified connection; a certificate that does not verify is
// refused in one line unless --clickhouse-insecure; a server that demands a
// client certificate takes ours and refuses a connection without one.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { LocalClickHouse } from '../../../src/sinks/clickhouse/local_server';
import { clickhouseConfig, makeClient } from '../../../src/sinks/clickhouse/config';
import { ClickHouseSink } from '../../../src/sinks/clickhouse/sink';
import { applySchema } from '../../../src/sinks/clickhouse/schema';
import { freePort, haveClickHouse, testPorts } from '../../helpers/clickhouse';
import { runCli } from '../../helpers/run_proc';
import { rowsFor } from '../../helpers/sink_rows';
import { suiteTmp } from '../../helpers/tmp';

const PASSWORD = 'tls-test-secret';

/** CA, server cert (SAN 127.0.0.1, localhost), client cert, and another CA, all under dir. */
function makeCerts(dir: string): void {
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  for (const ca of ['ca', 'other-ca'])
    ossl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=tcplens test ${ca}`,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
    );
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ossl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${who === 'server' ? '127.0.0.1' : 'tcplens'}`,
      '-keyout',
      `${who}.key`,
      '-out',
      `${who}.csr`,
    );
    ossl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
      '-out',
      `${who}.crt`,
    );
  }
  ossl('dhparam', '-dsaparam', '-out', 'dh.pem', '1024'); // 18.16 wants one; -dsaparam: quick
}

/** The openSSL server section 18.16 reads for https_port (see its bundled config.xml). */
const httpsConfig = (port: number, certs: string, mode: 'none' | 'strict'): string => `
  <https_port>${port}</https_port>
  <openSSL><server>
    <certificateFile>${certs}/server.crt</certificateFile>
    <privateKeyFile>${certs}/server.key</privateKeyFile>
    <dhParamsFile>${certs}/dh.pem</dhParamsFile>
    <verificationMode>${mode}</verificationMode>
    ${mode === 'strict' ? `<caConfig>${certs}/ca.crt</caConfig>` : ''}
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <cacheSessions>true</cacheSessions>
    <disableProtocols>sslv2,sslv3</disableProtocols>
    <preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>`;

describe('TLS to ClickHouse (https_port, CA, client certificate, password)', function () {
  this.timeout(120_000);
  const tmp = suiteTmp('tltls-');
  let certs = '';
  const servers: LocalClickHouse[] = [];
  let url = '';
  let mtlsUrl = '';

  async function start(mode: 'none' | 'strict'): Promise<string> {
    const p = await testPorts();
    const https = await freePort();
    const s = new LocalClickHouse({
      dir: tmp(),
      httpPort: p.http,
      tcpPort: p.tcp,
      interserverPort: p.interserver,
      password: PASSWORD,
      extraConfig: httpsConfig(https, certs, mode),
    });
    servers.push(s);
    await s.start();
    return `https://127.0.0.1:${https}`;
  }

  before(async function () {
    if (!haveClickHouse()) this.skip(); // bootstrap.sh installs clickhouse-server and openssl; CI has both
    certs = tmp();
    makeCerts(certs);
    url = await start('none');
    mtlsUrl = await start('strict');
  });
  after(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });

  const env = (u: string, extra: Record<string, string> = {}): Record<string, string> => ({
    TCPLENS_CLICKHOUSE_URL: u,
    TCPLENS_CLICKHOUSE_PASSWORD: PASSWORD,
    ...extra,
  });
  const ca = (): string => path.join(certs, 'ca.crt');

  it('verified: the sink writes rows over https with --clickhouse-ca and a password, and they are there', async () => {
    const database = `tls_${process.pid}`;
    const cfg = clickhouseConfig({ 'clickhouse-url': url, 'clickhouse-ca': ca(), database }, { TCPLENS_CLICKHOUSE_PASSWORD: PASSWORD })!;
    expect(cfg.tls?.ca).to.be.instanceOf(Buffer);
    const client = makeClient(cfg);
    try {
      await applySchema(client, { database, ttlDays: 0 });
      const sink = new ClickHouseSink({ clickhouse: cfg, host: 'tls', flushIntervalMs: 200 });
      await sink.start();
      sink.writePollCycles(rowsFor(0));
      await sink.close();
      expect(sink.stats().tables['poll_cycles']?.rows_written).to.equal(50);
      const rs = await client.query({
        query: `SELECT count() AS n FROM ${database}.poll_cycles WHERE host = 'tls'`,
        format: 'JSONEachRow',
      });
      expect(await rs.json()).to.deep.equal([{ n: '50' }]);
    } finally {
      await client.close();
    }
  });

  it('verified: tcplens schema apply and tcplens query answer over https', async () => {
    const database = `tlsq_${process.pid}`;
    const a = await runCli(['schema', 'apply', '--database', database, '--clickhouse-ca', ca()], env(url));
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.match(/^https:\/\/127\.0\.0\.1:\d+ \(user default, database tlsq_\d+\): ClickHouse 18\.16/);
    expect(a.stdout + a.stderr).to.not.contain(PASSWORD);
    // the CA from the environment this time
    const q = await runCli(['query', 'top-flows', '--database', database, '--format', 'json'], env(url, { TCPLENS_CLICKHOUSE_CA: ca() }));
    expect(q.code, q.stderr).to.equal(0);
    expect(q.stderr).to.equal('');
  });

  it('a certificate that does not verify (another CA, or the system roots) is refused in one line; --clickhouse-insecure opts out', async () => {
    const other = path.join(certs, 'other-ca.crt');
    for (const [args, extra] of [
      [['--clickhouse-ca', other], {}],
      [[], {}], // no CA given: Node's bundled roots, which did not sign it
    ] as const) {
      for (const cmd of [
        ['schema', 'apply'],
        ['query', 'top-flows'],
      ]) {
        const r = await runCli([...cmd, '--database', 'x', ...args], env(url, extra));
        expect(r.code, r.stderr).to.not.equal(0);
        expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
        expect(r.stderr).to.match(
          /^tcplens: ClickHouse at https:\/\/127\.0\.0\.1:\d+: server certificate not trusted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)[^)]*\); give the CA that signed it with --clickhouse-ca, or opt out with --clickhouse-insecure\n$/,
        );
        expect(r.stderr).to.not.contain(PASSWORD);
      }
    }
    const ok = await runCli(['schema', 'apply', '--database', `tlsi_${process.pid}`, '--clickhouse-insecure'], env(url));
    expect(ok.code, ok.stderr).to.equal(0);
  });

  it('a server that demands a client certificate takes --clickhouse-cert/--clickhouse-key and refuses a connection without one', async () => {
    const database = `tlsm_${process.pid}`;
    const withCert = await runCli(
      [
        'schema',
        'apply',
        '--database',
        database,
        '--clickhouse-ca',
        ca(),
        '--clickhouse-cert',
        path.join(certs, 'client.crt'),
        '--clickhouse-key',
        path.join(certs, 'client.key'),
      ],
      env(mtlsUrl),
    );
    expect(withCert.code, withCert.stderr).to.equal(0);
    const without = await runCli(['schema', 'apply', '--database', database, '--clickhouse-ca', ca()], env(mtlsUrl));
    expect(without.code).to.not.equal(0);
    expect(without.stderr.trim().split('\n'), without.stderr).to.have.length(1);
    console.log(`      (without a client certificate: ${without.stderr.trim()})`);
    expect(without.stderr).to.match(
      /^tcplens: ClickHouse at https:\/\/127\.0\.0\.1:\d+: TLS handshake failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .*does it want a client certificate/,
    );
  });

  it('bad TLS settings are one-line usage errors (exit 2): TLS flags on http://, unreadable or non-PEM files, a cert without its key', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [
        ['--clickhouse-ca', ca()],
        { TCPLENS_CLICKHOUSE_URL: 'http://127.0.0.1:1' },
        /--clickhouse-ca: only with an https:\/\/ --clickhouse-url/,
      ],
      [['--clickhouse-insecure'], { TCPLENS_CLICKHOUSE_URL: 'http://127.0.0.1:1' }, /--clickhouse-insecure: only with an https/],
      [
        ['--clickhouse-ca', '/nonexistent/ca.pem'],
        { TCPLENS_CLICKHOUSE_URL: url },
        /--clickhouse-ca: cannot read \/nonexistent\/ca.pem: ENOENT/,
      ],
      [['--clickhouse-ca', path.join(certs, 'server.ext')], { TCPLENS_CLICKHOUSE_URL: url }, /--clickhouse-ca: .*server\.ext holds no PEM/],
      [
        ['--clickhouse-key', path.join(certs, 'client.crt'), '--clickhouse-cert', path.join(certs, 'client.crt')],
        { TCPLENS_CLICKHOUSE_URL: url },
        /--clickhouse-key: .* holds no PEM/,
      ],
      [
        ['--clickhouse-cert', path.join(certs, 'client.crt')],
        { TCPLENS_CLICKHOUSE_URL: url },
        /--clickhouse-cert and --clickhouse-key: give both or neither/,
      ],
    ];
    for (const [args, e, re] of cases) {
      const r = await runCli(['schema', 'apply', ...args], e);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(re);
    }
  });
});
