// tcplens command line: one yargs command module per file in this folder.
import yargs, { type Argv, type CommandModule } from 'yargs';
import { TcplensError, usage } from '../util/errors';
import { checkTypes, optionTypes, yargsOptions, type OptionTypes } from '../config/option_types';
import { clip, escapeControls } from '../config/env';

/** A command module of this folder: yargs's, plus validate(), every check of
 * its flags its handler makes before it starts anything (no kernel work, no
 * server, no file written); the handler calls it first, and the sweep of
 * test/cli/flags_fuzz.test.ts calls it in place of the handler. */
export interface TcplensCommand {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<unknown>;
  handler: (argv: never) => Promise<void>;
  validate: (argv: never) => unknown;
}

// Each command's module is loaded when its command runs: a start loads that
// command's code and libraries alone (preflight: 59 modules instead of 373,
// no ClickHouse client, protobufjs or prom-client). Node loads modules slowly
// where files are slow to open: ~15 s for all of them in a TCG guest of the
// kernel matrix, where every test that starts a `tcplens` pays it. (The
// `typeof import` keeps each module checked against TcplensCommand.)
const LOADERS = new Map<string, () => TcplensCommand>([
  ['poll', (): TcplensCommand => require('./poll') as typeof import('./poll')],
  ['preflight', (): TcplensCommand => require('./preflight') as typeof import('./preflight')],
  ['run', (): TcplensCommand => require('./run') as typeof import('./run')],
  ['schema', (): TcplensCommand => require('./schema') as typeof import('./schema')],
  ['trace', (): TcplensCommand => require('./trace') as typeof import('./trace')],
  ['loadgen', (): TcplensCommand => require('./loadgen') as typeof import('./loadgen')],
  ['compare', (): TcplensCommand => require('./compare') as typeof import('./compare')],
  ['sample', (): TcplensCommand => require('./sample') as typeof import('./sample')],
  ['query', (): TcplensCommand => require('./query') as typeof import('./query')],
  ['flow', (): TcplensCommand => require('./flow') as typeof import('./flow')],
]);

/** Every command, each module loaded (the top-level --help lists them all). */
export function allCommands(): TcplensCommand[] {
  return [...LOADERS.values()].map((load) => load());
}

/** The commands `argv` can run: the one its first word names, or all of them
 * (no command, a flag first, or an unknown word, which yargs then names the
 * commands for). */
export function commandsFor(argv: readonly string[]): TcplensCommand[] {
  const load = argv[0] === undefined ? undefined : LOADERS.get(argv[0]);
  return load ? [load()] : allCommands();
}

/** The positional arguments a command string names ('loadgen <spec>': spec). */
export const positionals = (command: string): string[] => [...command.matchAll(/[<[]([\w-]+)/g)].map((m) => m[1]!);

/** What yargs reads wrongly from the words themselves: `--flag=VALUE` of a
 * boolean flag whose VALUE is neither true nor false (yargs takes it as
 * false), and an empty value of a number flag (yargs takes it as 0). */
function checkRawValues(argv: readonly string[], t: OptionTypes): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return;
    const m = /^--?(?:no-)?([^=]+?)(?:=(.*))?$/s.exec(a);
    const name = m ? t.canonical(m[1]!) : undefined;
    if (!m || !name) continue;
    const value = m[2] ?? argv[i + 1];
    if (t.types.get(name) === 'boolean' && m[2] !== undefined && !/^(true|false)$/.test(m[2]))
      throw usage(`--${name}: true or false expected, got "${clip(m[2])}" (or give the flag alone, or --no-${name})`);
    if (t.types.get(name) === 'number' && value !== undefined && value.trim() === '') throw usage(`--${name}: a number expected, got ""`);
  }
}

/** What yargs does not check by itself, for every option of `m` (a flag added
 * later included): a flag other than a boolean needs a value (`--count` alone
 * is not a silent "unset"), each value has its option's type (given once,
 * a finite number, a string; not an empty number, not --flag=maybe);
 * one line naming the flag otherwise. */
function hardened(m: TcplensCommand, rawArgv: readonly string[]): CommandModule {
  return {
    command: m.command,
    describe: m.describe,
    handler: m.handler as CommandModule['handler'],
    builder: (y: Argv): Argv<unknown> => {
      const b = m.builder(y);
      const t = optionTypes(yargsOptions(b));
      const pos = positionals(m.command);
      for (const [k, type] of t.types) if (type !== 'boolean' && !pos.includes(k)) b.requiresArg(k);
      return b.check((argv) => {
        checkRawValues(rawArgv, t);
        checkTypes(argv, t);
        return true;
      });
    },
  };
}

/**
 * `--flag -1s` as `--flag=-1s`: yargs reads a value that starts with a dash and a digit
 * (and is not a plain number) as short options (`-1 -s`: "Unknown arguments: 1, s"), so a
 * negative duration would never reach the flag's own check and its clear message.
 */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out[out.length - 1];
    if (/^-\d/.test(a) && prev !== undefined && /^--[a-z][\w-]*$/.test(prev)) out[out.length - 1] = `${prev}=${a}`;
    else out.push(a);
  }
  return out;
}

/** What a failure prints (after "tcplens: ") and the exit code. */
export interface Failure {
  code: 1 | 2;
  text: string;
}

/** One line of at most 600 characters: yargs's line breaks as spaces, control
 * characters escaped, a long quoted value shortened (its message kept). */
export function oneLine(text: string): string {
  const s = escapeControls(text.replace(/\s*\n\s*/g, ' ')).replace(
    /(["'])([^"'\n]{100,}?)\1/g,
    (_m, q: string, v: string) => `${q}${v.slice(0, 60)}... (${v.length} characters)${q}`,
  );
  return s.length > 600 ? `${s.slice(0, 597)}...` : s;
}

/**
 * Bad input (a TcplensError, or yargs's own usage error: a YError, or a
 * message alone) is one line and exit 2, never a stack trace. An error of the
 * system (ENOENT, EACCES, the addon not built: it has a code) is one line and
 * exit 1. Anything else is a bug in tcplens: its stack, exit 1.
 */
export function failure(msg: string | null | undefined, err?: Error | null): Failure {
  if (err instanceof TcplensError || err?.name === 'YError') return { code: 2, text: oneLine(err.message) };
  if (!err) return { code: 2, text: `${oneLine(String(msg ?? 'bad arguments'))} (see tcplens --help)` };
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return { code: 1, text: oneLine(String(err.message).split('\n')[0]!) };
  return { code: 1, text: err.stack ?? String(err) };
}

/** The parser of `argv` with `commands`; `fail` gets every failure (main's prints it and exits). */
export function cli(
  argv: readonly string[],
  fail: (msg: string | null | undefined, err?: Error | null) => void,
  commands: readonly TcplensCommand[] = commandsFor(argv),
): Argv<unknown> {
  const args = joinDashValues(argv);
  let y: Argv<unknown> = yargs(args)
    .scriptName('tcplens')
    .usage('$0 <command> [options]\n\nTCP observability sidecar: watches every TCP socket of the host, in every network namespace.');
  for (const c of commands) y = y.command(hardened(c, args));
  return y
    .demandCommand(1, 'name a command')
    .strict()
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => fail(msg, err))
    .help()
    .version();
}

export function main(argv: string[]): void {
  void cli(argv, (msg, err) => {
    const f = failure(msg, err);
    process.stderr.write(`tcplens: ${f.text}\n`);
    process.exit(f.code);
  }).parse();
}
