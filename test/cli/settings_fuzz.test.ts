// Every TCPLENS_* variable (src/config/env.ts names them: TCPLENS_<FLAG> for
// each of run's flags, and the ClickHouse connection's for every command that
// talks to ClickHouse) and every key a --config file takes (run's options, as
// its builder declares them), fuzzed in process as test/cli/flags_fuzz does
// flags; --config files that are not settings; and the credentials: one
// function for every command, the password never in a message.
import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { allCommands } from '../../src/cli/main';
import { CLICKHOUSE_ENV, DEV_ENV, envName } from '../../src/config/env';
import { clickhouseCredentials } from '../../src/sinks/clickhouse/config';
import { loadLibrary } from '../../src/query/library';
import { TcplensError } from '../../src/util/errors';
import { commandName, commandOptions, noTcplensEnv, runInProcess, Tally, withEnv } from '../helpers/cli_sweep';
import { BIN } from '../helpers/run_proc';

/** every command, its module loaded (the CLI loads only the one it runs) */
const COMMANDS = allCommands();

const ROOT = path.resolve(__dirname, '..', '..', '..');
const HUGE = 'b'.repeat(100_000);
const SECRET = 'env-pw-4Kx9-never-shown';
const FILE_SECRET = 'file-pw-7Qm2-never-shown';

/** Hostile variable values (an environment cannot hold NUL). */
const ENV_VALUES = [
  ' ',
  '-1',
  '0',
  'NaN',
  '1e309',
  '99999999999999999999999',
  '-1s',
  '10xs',
  '8q',
  '-8m',
  'maybe',
  '\u0001\u001b[31m\r\n',
  HUGE,
  '/nonexistent/x',
  '/tmp',
  'http://u:p@h:1',
  'ftp://x',
  '10.0.0.0/33',
  'no-such-choice',
];

/** Hostile JSON values of a --config key (raw JSON text: 1e309 parses as Infinity). */
const JSON_VALUES = [
  '""',
  '"-1s"',
  '"1e309"',
  '"\\u0000\\u001b[31m"',
  JSON.stringify(HUGE),
  '-1',
  '0',
  '1.5',
  '1e309',
  '9007199254740993',
  'true',
  'false',
  'null',
  '[]',
  '["a", "b"]',
  '{}',
  '{"a": {"b": [1]}}',
];

const clickhouseCommands = (): string[] =>
  COMMANDS.filter((c) => commandOptions(c).some((o) => o.name === 'clickhouse-url')).map(commandName);

/** What a command needs to reach its own checks. */
function baseline(cmd: string): string[] {
  const question = [...loadLibrary().values()].find((q) => q.requires.length === 0 && !q.name.startsWith('flow-'))!;
  return (
    ({ compare: ['--netns', 'host'], schema: ['print'], query: [question.name], flow: ['40961'] } as Record<string, string[]>)[cmd] ?? []
  );
}

describe('every TCPLENS_* variable and --config key, fuzzed (in process)', function () {
  this.timeout(120_000);
  let dir = '';
  let pwFile = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-setfuzz-'));
    pwFile = path.join(dir, 'password');
    fs.writeFileSync(pwFile, `${FILE_SECRET}\n`, { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const noLeak = (t: string): string | null => (t.includes(SECRET) || t.includes(FILE_SECRET) ? 'shows a password' : null);

  it('src/ and native/ read no TCPLENS_* variable that src/config/env.ts does not name', () => {
    const run = COMMANDS.find((c) => commandName(c) === 'run')!;
    const known = new Set<string>([
      ...Object.values(CLICKHOUSE_ENV),
      ...Object.values(DEV_ENV),
      ...commandOptions(run).map((o) => envName(o.name)),
    ]);
    const unknown: string[] = [];
    // TypeScript: any TCPLENS_ name; C: what getenv() reads (TCPLENS_*_H are include guards)
    const patterns: Record<string, RegExp> = {
      '.ts': /TCPLENS_[A-Z0-9_]+/g,
      '.c': /getenv\("(TCPLENS_[A-Z0-9_]+)"\)/g,
      '.cc': /getenv\("(TCPLENS_[A-Z0-9_]+)"\)/g,
    };
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        const re = patterns[path.extname(e.name)];
        if (e.isDirectory()) walk(p);
        else if (re)
          for (const m of fs.readFileSync(p, 'utf8').matchAll(re)) {
            const name = m[1] ?? m[0];
            if (!known.has(name)) unknown.push(`${path.relative(ROOT, p)}: ${name}`);
          }
      }
    };
    walk(path.join(ROOT, 'src'));
    walk(path.join(ROOT, 'native'));
    expect(unknown).to.deep.equal([]);
  });

  it("TCPLENS_<FLAG> for each of run's flags: used, or one line naming the variable (exit 2)", async () => {
    const run = COMMANDS.find((c) => commandName(c) === 'run')!;
    const tally = new Tally();
    for (const o of commandOptions(run)) {
      if (o.name === 'config') continue; // TCPLENS_CONFIG is not read: a file of settings is named on the command line
      const name = envName(o.name);
      for (const v of ENV_VALUES) {
        const r = await withEnv({ ...noTcplensEnv(), TCPLENS_CLICKHOUSE_PASSWORD: SECRET, [name]: v }, () => runInProcess(['run']));
        tally.add(
          'run',
          r,
          `${name}=${JSON.stringify(v.slice(0, 40))}`,
          (f) => noLeak(f.text) ?? (f.text.includes(o.name) || f.text.includes(name) ? null : `does not name ${name}`),
        );
      }
    }
    console.log(`      ${tally.total} cases: ${tally.table()}`);
    if (process.env['CLIFUZZ_DUMP']) fs.appendFileSync(process.env['CLIFUZZ_DUMP'], tally.problems.join('\n') + '\n');
    expect(tally.problems, tally.problems.slice(0, 30).join('\n')).to.deep.equal([]);
    expect(tally.total).to.be.greaterThan(500);
  });

  it('the ClickHouse variables, for every command that talks to ClickHouse: used, or one line naming the variable, never a password', async () => {
    const tally = new Tally();
    const cmds = clickhouseCommands();
    expect(cmds).to.include.members(['run', 'schema', 'query', 'flow', 'compare']);
    for (const cmd of cmds) {
      for (const name of Object.values(CLICKHOUSE_ENV)) {
        for (const v of ENV_VALUES) {
          // with a server named, so that the TLS and password settings are read
          const server = name === CLICKHOUSE_ENV.url ? {} : { [CLICKHOUSE_ENV.url]: 'https://127.0.0.1:9' };
          const env = {
            ...noTcplensEnv(),
            TCPLENS_CLICKHOUSE_PASSWORD: SECRET,
            TCPLENS_CLICKHOUSE_PASSWORD_FILE: pwFile,
            ...server,
            [name]: v,
          };
          const r = await withEnv(env, () => runInProcess([cmd, ...baseline(cmd)]));
          const flag = name
            .replace(/^TCPLENS_/, '')
            .toLowerCase()
            .replace(/_/g, '-');
          tally.add(
            cmd,
            r,
            `${cmd} with ${name}=${JSON.stringify(v.slice(0, 40))}`,
            (f) => noLeak(f.text) ?? (f.text.includes(name) || f.text.includes(flag) ? null : `does not name ${name}`),
          );
        }
      }
    }
    console.log(`      ${tally.total} cases: ${tally.table()}`);
    if (process.env['CLIFUZZ_DUMP']) fs.appendFileSync(process.env['CLIFUZZ_DUMP'], tally.problems.join('\n') + '\n');
    expect(tally.problems, tally.problems.slice(0, 30).join('\n')).to.deep.equal([]);
  });

  it('--config: every key run takes, with values of every JSON type: used, or one line naming the key', async () => {
    const run = COMMANDS.find((c) => commandName(c) === 'run')!;
    const tally = new Tally();
    const file = path.join(dir, 'settings.json');
    for (const o of commandOptions(run)) {
      if (o.name === 'config') continue;
      for (const v of JSON_VALUES) {
        fs.writeFileSync(file, `{"${o.name}": ${v}}`);
        const r = await withEnv({ ...noTcplensEnv(), TCPLENS_CLICKHOUSE_PASSWORD: SECRET }, () => runInProcess(['run', '--config', file]));
        tally.add(
          'run',
          r,
          `--config {"${o.name}": ${v.slice(0, 40)}}`,
          (f) => noLeak(f.text) ?? (f.text.includes(o.name) ? null : `does not name ${o.name}`),
        );
        if (/^(\[|\{|null)/.test(v)) expect(r.accepted, `${o.name}: ${v}`).to.equal(false);
      }
    }
    console.log(`      ${tally.total} cases: ${tally.table()}`);
    if (process.env['CLIFUZZ_DUMP']) fs.appendFileSync(process.env['CLIFUZZ_DUMP'], tally.problems.join('\n') + '\n');
    expect(tally.problems, tally.problems.slice(0, 30).join('\n')).to.deep.equal([]);
  });

  it('--config files that are not settings: one line naming --config, exit 2; a .js file is not run', async () => {
    const marker = path.join(dir, 'ran');
    const files: Record<string, string | Buffer | null> = {
      missing: null,
      'empty.json': '',
      'array.json': '["interval"]',
      'null.json': 'null',
      'number.json': '5',
      'string.json': '"interval=5s"',
      'cut.json': '{"interval": "5s", "netns',
      'binary.json': Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x01, 0x80]),
      'unknown-key.json': '{"interval": "5s", "intervall": "5s"}',
      'huge.json': `{"host": "${'h'.repeat(2 << 20)}"}`,
      'code.js': `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); module.exports = { interval: '5s' };`,
      'trailing-comma.json': '{"interval": "5s",}',
    };
    await withEnv(noTcplensEnv(), async () => {
      for (const [name, body] of Object.entries(files)) {
        const file = path.join(dir, name);
        if (body !== null) fs.writeFileSync(file, body);
        const r = await runInProcess(['run', '--config', file]);
        expect(r.accepted, name).to.equal(false);
        expect(r.failure!.code, `${name}: ${r.failure!.text}`).to.equal(2);
        expect(r.failure!.text, name).to.match(/^--config\b/);
        expect(r.failure!.text, name).to.not.include('\n');
        expect(r.failure!.text.length, name).to.be.below(700);
      }
      expect(fs.existsSync(marker), 'the .js config ran').to.equal(false);
      const dirCase = await runInProcess(['run', '--config', dir]);
      expect(dirCase.failure?.text).to.match(/^--config: .* is a directory/);
      // camelCase keys, as yargs takes them, and numbers for duration flags
      fs.writeFileSync(path.join(dir, 'ok.json'), '{"maxFlows": 5, "interval": 10, "log-level": "warn"}');
      const ok = await runInProcess(['run', '--config', path.join(dir, 'ok.json')]);
      expect(ok.accepted, ok.failure?.text).to.equal(true);
    });
  });
});

describe('ClickHouse credentials: one function for every command, never shown', function () {
  this.timeout(60_000);
  let dir = '';
  let pwFile = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-creds-'));
    pwFile = path.join(dir, 'password');
    fs.writeFileSync(pwFile, `${FILE_SECRET}\n`, { mode: 0o600 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the flag file, else TCPLENS_CLICKHOUSE_PASSWORD_FILE, else TCPLENS_CLICKHOUSE_PASSWORD; an unreadable file names its source, not a password', () => {
    const other = path.join(dir, 'other');
    fs.writeFileSync(other, 'other-pw');
    expect(clickhouseCredentials({}, {})).to.deep.equal({ user: 'default' });
    expect(clickhouseCredentials({}, { TCPLENS_CLICKHOUSE_PASSWORD: SECRET, TCPLENS_CLICKHOUSE_USER: 'ops' })).to.deep.equal({
      user: 'ops',
      password: SECRET,
    });
    expect(clickhouseCredentials({}, { TCPLENS_CLICKHOUSE_PASSWORD: SECRET, TCPLENS_CLICKHOUSE_PASSWORD_FILE: pwFile }).password).to.equal(
      FILE_SECRET,
    );
    expect(clickhouseCredentials({ 'clickhouse-password-file': other }, { TCPLENS_CLICKHOUSE_PASSWORD_FILE: pwFile }).password).to.equal(
      'other-pw',
    );
    for (const [flags, env, re] of [
      [
        {},
        { TCPLENS_CLICKHOUSE_PASSWORD: SECRET, TCPLENS_CLICKHOUSE_PASSWORD_FILE: '/nonexistent' },
        /^TCPLENS_CLICKHOUSE_PASSWORD_FILE: cannot read \/nonexistent: ENOENT$/,
      ],
      [
        { 'clickhouse-password-file': dir },
        { TCPLENS_CLICKHOUSE_PASSWORD: SECRET },
        /^--clickhouse-password-file: cannot read .*: EISDIR$/,
      ],
    ] as const) {
      let err: unknown;
      try {
        clickhouseCredentials(flags, env);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(TcplensError);
      expect((err as Error).message).to.match(re);
      expect((err as Error).message).to.not.include(SECRET);
    }
  });

  it('schema and query log in with TCPLENS_CLICKHOUSE_PASSWORD_FILE, and their error line shows no password', async () => {
    // a server that takes note of the login and refuses every request
    const logins: string[] = [];
    const server = http.createServer((req, res) => {
      logins.push(Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString());
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Code: 1. DB::Exception: refused by the test server. (UNSUPPORTED_METHOD)\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const question = [...loadLibrary().values()].find((q) => q.requires.length === 0 && !q.name.startsWith('flow-'))!;
    try {
      for (const args of [
        ['schema', 'apply'],
        ['query', question.name],
      ]) {
        logins.length = 0;
        const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TCPLENS_')));
        const env = {
          ...clean,
          TCPLENS_CLICKHOUSE_URL: url,
          TCPLENS_CLICKHOUSE_PASSWORD: SECRET,
          TCPLENS_CLICKHOUSE_PASSWORD_FILE: pwFile,
        };
        const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
        expect(logins.length, `${args.join(' ')}: ${stderr}`).to.be.greaterThan(0);
        expect(logins[0], args.join(' ')).to.equal(`default:${FILE_SECRET}`);
        expect(code, stderr).to.not.equal(0);
        expect(stderr.trim().split('\n'), stderr).to.have.length(1);
        expect(stderr).to.not.include(FILE_SECRET);
        expect(stderr).to.not.include(SECRET);
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
