// The CLI in process, for sweeps of every flag, variable and config key:
// the real parser (src/cli/main.ts's cli(): strict, the same fail path, each
// command's builder) with each command's validate() in place of its handler,
// so that a case checks every flag as the command would, and starts nothing.
// The options come from the commands' yargs builders themselves: a flag added
// later is swept without a change here.
import yargs from 'yargs';
import { allCommands, cli, failure, positionals, type Failure, type TcplensCommand } from '../../src/cli/main';
import { optionTypes, yargsOptions, type OptionType } from '../../src/config/option_types';

export interface Outcome {
  argv: string[];
  accepted: boolean;
  /** what tcplens would print after "tcplens: ", and its exit code */
  failure?: Failure;
}

const STOP = new Error('tcplens exited');

const VALIDATING: TcplensCommand[] = allCommands().map((c) => ({
  ...c,
  handler: async (a: never): Promise<void> => {
    await c.validate(a);
  },
}));

/** Runs `argv` as `tcplens argv` would, up to the command's start: accepted, or its failure. */
export async function runInProcess(argv: string[]): Promise<Outcome> {
  const fails: Failure[] = [];
  let thrown: unknown;
  try {
    const y = cli(
      argv,
      (msg, err) => {
        fails.push(failure(msg, err));
        throw STOP; // as process.exit() would: nothing after it runs
      },
      VALIDATING,
    ).exitProcess(false);
    // yargs renders a command's whole help before running its handler, to
    // cache it: half of a case's time, and never shown here
    (y as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
      .getInternalMethods()
      .getUsageInstance().cacheHelpMessage = (): void => {};
    await y.parseAsync();
  } catch (e) {
    thrown = e;
  }
  if (fails[0]) return { argv, accepted: false, failure: fails[0] };
  // an exception past the fail handler: main() would die of it with a stack trace
  if (thrown !== undefined) return { argv, accepted: false, failure: { code: 1, text: String((thrown as Error).stack ?? thrown) } };
  return { argv, accepted: true };
}

/** The first word of a command string ('loadgen <spec>': loadgen). */
export const commandName = (c: TcplensCommand): string => c.command.split(' ')[0]!;

export interface SweptOption {
  name: string;
  type: OptionType;
  positional: boolean;
  choices?: readonly unknown[];
  aliases: string[];
}

/** A command's options and positionals, as its builder declares them (yargs's help and version left out). */
export function commandOptions(c: TcplensCommand): SweptOption[] {
  const o = yargsOptions(c.builder(yargs([])));
  const t = optionTypes(o);
  const pos = positionals(c.command);
  return [...t.types].map(([name, type]) => ({
    name,
    type,
    positional: pos.includes(name),
    ...(t.choices.has(name) ? { choices: t.choices.get(name)! } : {}),
    aliases: o.alias[name] ?? [],
  }));
}

/** Why a failure is not the one clear line bad input must get; null when it is. */
export function badLine(f: Failure): string | null {
  if (f.code !== 2) return `exit ${f.code}, not 2`;
  if (f.text.includes('\n')) return 'more than one line';
  if (/\n\s+at |^\s+at /m.test(f.text)) return 'a stack trace';
  if (f.text.includes('[object Object]')) return '[object Object]';
  if (/\bundefined\b/.test(f.text)) return '"undefined"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(f.text)) return 'a control character';
  if (f.text.length > 700) return `${f.text.length} characters`;
  return null;
}

/** Sets the variables of `env` (undefined: unset) for `fn`, and restores them after. */
export async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (vals: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(vals)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return await fn();
  } finally {
    set(saved);
  }
}

/** Every TCPLENS_* variable of the environment, unset (a sweep must not depend on the shell it runs in). */
export const noTcplensEnv = (): Record<string, undefined> =>
  Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('TCPLENS_'))
      .map((k) => [k, undefined]),
  );

/** Counts of a sweep, per command. */
export class Tally {
  readonly per = new Map<string, { cases: number; accepted: number; rejected: number }>();
  readonly problems: string[] = [];

  add(cmd: string, o: Outcome, what: string, extra?: (f: Failure) => string | null): void {
    const t = this.per.get(cmd) ?? { cases: 0, accepted: 0, rejected: 0 };
    t.cases++;
    if (o.accepted) t.accepted++;
    else t.rejected++;
    this.per.set(cmd, t);
    if (o.failure) {
      const why = badLine(o.failure) ?? extra?.(o.failure) ?? null;
      if (why) this.problems.push(`${what}: ${why}: ${o.failure.text.slice(0, 300)}`);
    }
  }

  get total(): number {
    return [...this.per.values()].reduce((a, t) => a + t.cases, 0);
  }

  table(): string {
    return [...this.per].map(([c, t]) => `${c} ${t.cases} (${t.accepted} accepted, ${t.rejected} rejected)`).join('; ');
  }
}
