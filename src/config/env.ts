// Every TCPLENS_* environment variable tcplens reads, named in one place:
//   - TCPLENS_<FLAG>: every flag of `tcplens run` (the flag in capitals, '-'
//     as '_'), read by src/run/options.ts;
//   - the ClickHouse connection (CLICKHOUSE_ENV): read by every command that
//     talks to ClickHouse (run, schema, query, flow, compare), through
//     src/sinks/clickhouse/config.ts and tls.ts;
//   - DEV_ENV: for developers and the test suite, not for operators.
// test/cli/settings_fuzz.test.ts fuzzes the settings, and fails on a
// variable that src/ or native/ reads and this file does not name.
import { usage } from '../util/errors';

/** The variable that sets `flag` of `tcplens run`. */
export const envName = (flag: string): string => `TCPLENS_${flag.replace(/-/g, '_').toUpperCase()}`;

/** Where ClickHouse is and how to log in. Credentials are never flags (argv is world-readable). */
export const CLICKHOUSE_ENV = {
  url: 'TCPLENS_CLICKHOUSE_URL',
  user: 'TCPLENS_CLICKHOUSE_USER',
  password: 'TCPLENS_CLICKHOUSE_PASSWORD',
  passwordFile: 'TCPLENS_CLICKHOUSE_PASSWORD_FILE',
  ca: 'TCPLENS_CLICKHOUSE_CA',
  cert: 'TCPLENS_CLICKHOUSE_CERT',
  key: 'TCPLENS_CLICKHOUSE_KEY',
  insecure: 'TCPLENS_CLICKHOUSE_INSECURE',
} as const;

/** Variables whose values are secrets: never echoed in an error or a log line. */
export const SECRET_ENV: readonly string[] = [CLICKHOUSE_ENV.password];

/** Developers' and tests' variables, not settings: src/native/addon.ts loads
 * another build of the addon (the sanitizer one); native/bpf_parts.c prints
 * libbpf's debug log, and makes the verifier refuse the programs named (a test hook). */
export const DEV_ENV = { addon: 'TCPLENS_ADDON', libbpfDebug: 'TCPLENS_LIBBPF_DEBUG', testRefuse: 'TCPLENS_TEST_REFUSE' } as const;

/** A boolean variable: 1/true/yes/on or 0/false/no/off (any case); else one usage error naming it. */
export function envBoolean(name: string, raw: string): boolean {
  const t = raw.trim();
  if (/^(1|true|yes|on)$/i.test(t)) return true;
  if (/^(0|false|no|off)$/i.test(t)) return false;
  throw usage(`${name}: "${clip(raw)}" is not a boolean (true/false, 1/0, yes/no, on/off)`);
}

/** A number variable; else one usage error naming it. */
export function envNumber(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw usage(`${name}: "${clip(raw)}" is not a number`);
  return n;
}

/** Control characters (and the line separators) as \xNN / \uNNNN: a value in an error stays on its line and cannot drive the terminal. */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16)}`;
  });
}

/** A value shown in an error: at most `max` characters, control characters escaped. */
export function clip(text: string, max = 60): string {
  const s = escapeControls(String(text));
  return s.length > max ? `${s.slice(0, max)}... (${s.length} characters)` : s;
}
