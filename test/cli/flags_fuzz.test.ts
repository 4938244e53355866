// Every flag and positional of every command, enumerated from the commands'
// yargs builders (a flag added later is swept too), fed hostile values in
// process: the real parser with each command's validate() as its handler
// (test/helpers/cli_sweep.ts). Each case is accepted, or rejected in one line
// (exit 2, no stack frame, no "[object Object]" or "undefined", control
// characters escaped) that names the flag. A few cases run bin/tcplens.js for
// real, for the exit code and stderr end to end.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allCommands } from '../../src/cli/main';
import { loadLibrary } from '../../src/query/library';
import { commandName, commandOptions, noTcplensEnv, runInProcess, Tally, withEnv, type SweptOption } from '../helpers/cli_sweep';
import { BIN } from '../helpers/run_proc';
import type { Failure } from '../../src/cli/main';

/** every command, its module loaded (the CLI loads only the one it runs) */
const COMMANDS = allCommands();

const HUGE = 'a'.repeat(100_000);
/** a password in the environment during the sweep: no message may show it */
const SECRET = 'pw-Zq8-never-shown';

/** Hostile values for any flag: numbers, durations, sizes, text, paths, addresses, choices. */
function hostileValues(dir: string): string[] {
  return [
    '',
    '-1',
    '0',
    'NaN',
    '1e309',
    '99999999999999999999999',
    '1.5',
    '-1s',
    '10xs',
    '1h1',
    '8q',
    '-8m',
    '\u0001\u001b[31mred\r\n',
    '\ufffd\u00ff\ud800',
    HUGE,
    '/nonexistent/x/y',
    dir,
    '300.1.1.1',
    '10.0.0.0/33',
    '1.2.3.4:99999',
    'localhost:-1',
    'no-such-choice',
    ',,,',
    "'; DROP TABLE tcp_flows; --",
  ];
}

/** What a command needs to reach its own checks (a workload or namespace to compare, a question to ask). */
function baseline(cmd: string): { positionals: string[]; flags: string[] } {
  const question = [...loadLibrary().values()].find((q) => q.requires.length === 0 && !q.name.startsWith('flow-'))!;
  const known: Record<string, { positionals: string[]; flags: string[] }> = {
    compare: { positionals: [], flags: ['--netns', 'host'] },
    loadgen: { positionals: ['rate=10,flows=10'], flags: ['--plan'] },
    schema: { positionals: ['print'], flags: [] },
    query: { positionals: [question.name], flags: [] },
    flow: { positionals: ['40961'], flags: [] },
  };
  return known[cmd] ?? { positionals: [], flags: [] };
}

/** The argv of one case: `--name value...` after the baseline, or the positional replaced. */
function caseArgv(cmd: string, o: SweptOption, args: string[]): string[] {
  const b = baseline(cmd);
  if (o.positional) return [cmd, ...args, ...b.positionals.slice(1), ...b.flags];
  return [cmd, ...b.positionals, ...b.flags, ...args];
}

/** The cases of one option: each hostile value, the flag with no value, given twice; a boolean as --flag=VALUE and --no-flag. */
function cases(o: SweptOption, values: string[]): string[][] {
  if (o.positional) return values.map((v) => [v]);
  const f = `--${o.name}`;
  if (o.type === 'boolean') return [[f], [`--no-${o.name}`], [f, f], ...values.map((v) => [`${f}=${v}`]), [f, 'stray']];
  return [...values.map((v) => [f, v]), [f], [f, '1', f, '2'], [`${f}=`]];
}

/** A rejection names what it rejects: the flag (or an alias); or, where the
 * value is fine alone but not with the rest, a flag it goes with; a
 * positional's, the command; a stray word, as an unknown argument. */
function namesFlag(cmd: string, o: SweptOption, all: SweptOption[], args: string[]): (f: Failure) => string | null {
  return ({ text }) => {
    if ([o.name, ...o.aliases].some((n) => text.includes(n))) return null;
    if (all.some((x) => !x.positional && text.includes(`--${x.name}`))) return null;
    if (o.positional && text.includes(cmd)) return null;
    if (/^Unknown arguments?: /.test(text) && args.length > 0) return null;
    // a positional starting with '-' is an option to yargs: the argument is missing
    if (o.positional && args[0]?.startsWith('-') && /^Not enough non-option arguments/.test(text)) return null;
    return `does not name --${o.name}`;
  };
}

describe('every flag of every command, fuzzed (in process)', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-flagfuzz-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = (): Record<string, string | undefined> => ({ ...noTcplensEnv(), TCPLENS_CLICKHOUSE_PASSWORD: SECRET });

  it('each command reaches its own checks: its baseline is accepted, and it has a validate()', async () => {
    await withEnv(env(), async () => {
      for (const c of COMMANDS) {
        const cmd = commandName(c);
        expect(c.validate, cmd).to.be.a('function');
        const b = baseline(cmd);
        const r = await runInProcess([cmd, ...b.positionals, ...b.flags]);
        expect(r.accepted, `${cmd}: ${r.failure?.text}`).to.equal(true);
      }
    });
  });

  it('no flag takes a credential on argv (a password is read from a file or the environment)', () => {
    for (const c of COMMANDS)
      for (const o of commandOptions(c))
        if (/password|secret|token|credential/i.test(o.name)) expect(o.name, commandName(c)).to.match(/-file$/);
  });

  it('every option: hostile values are accepted or rejected in one clear line (exit 2) naming the flag, never showing a password', async () => {
    const tally = new Tally();
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const values = hostileValues(dir);
    const leaks: string[] = [];
    await withEnv(env(), async () => {
      for (const c of COMMANDS) {
        const cmd = commandName(c);
        const all = commandOptions(c);
        for (const o of all) {
          for (const args of cases(o, values)) {
            const argv = caseArgv(cmd, o, args);
            const r = await runInProcess(argv);
            const what = `tcplens ${argv.map((a) => JSON.stringify(a.slice(0, 40))).join(' ')}`;
            tally.add(cmd, r, what, namesFlag(cmd, o, all, args));
            if (r.failure?.text.includes(SECRET)) leaks.push(what);
          }
        }
      }
    });
    const cpu = process.cpuUsage(cpu0);
    const s = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`      ${tally.total} cases in ${s} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU): ${tally.table()}`);
    if (process.env['CLIFUZZ_DUMP']) fs.writeFileSync(process.env['CLIFUZZ_DUMP'], tally.problems.join('\n'));
    expect(tally.problems, tally.problems.slice(0, 30).join('\n')).to.deep.equal([]);
    expect(leaks).to.deep.equal([]);
    expect(tally.total).to.be.greaterThan(3000);
  });

  it('typed flags refuse what is not of their type: NaN, 1e309, text for a number; a value given twice', async () => {
    await withEnv(env(), async () => {
      for (const c of COMMANDS) {
        const cmd = commandName(c);
        for (const o of commandOptions(c).filter((x) => !x.positional && x.type === 'number')) {
          for (const v of ['NaN', '1e309', 'abc', '']) {
            const r = await runInProcess(caseArgv(cmd, o, [`--${o.name}`, v]));
            expect(r.accepted, `${cmd} --${o.name} ${v}`).to.equal(false);
            expect(r.failure!.text, `${cmd} --${o.name} ${v}`).to.include(`--${o.name}`);
          }
        }
        for (const o of commandOptions(c).filter((x) => !x.positional && x.type === 'string' && !x.choices)) {
          const r = await runInProcess(caseArgv(cmd, o, [`--${o.name}`, 'a', `--${o.name}`, 'b']));
          expect(r.failure?.text, `${cmd} --${o.name} twice`).to.match(new RegExp(`--${o.name}: given \\d+ times`));
        }
      }
    });
  });

  it('global: no command, an unknown command or flag, a stray argument: one line, exit 2', async () => {
    await withEnv(env(), async () => {
      for (const argv of [[], ['bogus'], ['--bogus'], ['run', 'stray'], ['polll'], ['-1s'], [HUGE]]) {
        const r = await runInProcess(argv);
        expect(r.accepted, JSON.stringify(argv).slice(0, 80)).to.equal(false);
        expect(r.failure!.code).to.equal(2);
        expect(r.failure!.text).to.not.include('\n');
        expect(r.failure!.text.length).to.be.below(700);
      }
    });
  });
});

describe('the CLI end to end: exit codes and stderr of bin/tcplens.js', function () {
  this.timeout(60_000);
  const tcplens = (args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TCPLENS_')));
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stderr: r.stderr };
  };

  for (const [args, env, re] of [
    [['run', '--config', '/nonexistent'], {}, /^tcplens: --config: cannot read \/nonexistent: ENOENT$/],
    [['run', '--interval', '-1s'], {}, /^tcplens: --interval: "-1s" is not a duration/],
    [['poll', '--count'], {}, /^tcplens: Not enough arguments following: count/],
    [['trace', '--batch-rows', '1e309'], {}, /^tcplens: --batch-rows: a number expected$/],
    [['run'], { TCPLENS_LOG_LEVEL: 'loud' }, /^tcplens: TCPLENS_LOG_LEVEL: "loud" is not one of debug, info, warn, error$/],
    // no command, or a word that names none: every command is loaded to name them
    [[], {}, /^tcplens: name a command \(see tcplens --help\)$/],
    [['rnu'], {}, /^tcplens: Did you mean run\? \(see tcplens --help\)$/],
  ] as const) {
    it(`tcplens ${args.join(' ')}${Object.keys(env).length ? ` (${Object.entries(env).map(([k, v]) => `${k}=${v}`)})` : ''}: one line, exit 2`, () => {
      const r = tcplens([...args], env);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr.endsWith('\n') && r.stderr.trim().split('\n').length === 1, r.stderr).to.equal(true);
      expect(r.stderr.trim()).to.match(re);
    });
  }
});
