// Structured logs: one JSON line per notable event on stderr, with a level
// and a stable message key. Each key is rate limited (a burst per window);
// what was suppressed is counted and reported on the key's next line.
// Fields that look like credentials are redacted, keys and URL userinfo alike.
import { usage } from './errors';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogOptions {
  level?: Level;
  /** receives each finished line (without the newline); default stderr */
  write?: (line: string) => void;
  /** lines per key per window before suppression; default 10 per 60 s */
  burst?: number;
  windowMs?: number;
  now?: () => number;
}

export type Fields = Record<string, unknown>;

// Keys whose values are never logged. `idiag_cookie` is a socket id, not a
// credential: only a bare "cookie" key (an HTTP header) is one.
const SECRET_KEY =
  /(^|[_.-])(password|passwd|passphrase|secret|token|authorization|api[_-]?key|credentials?|private[_-]?key)$|^(pass|pwd|auth|cookie|set-cookie)$/i;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]*@/gi;
const INLINE_SECRET = /\b(password|passwd|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|[^\s&,;"]+)/gi;
export const REDACTED = '[redacted]';

export function redactString(s: string): string {
  return s.replace(URL_USERINFO, `$1${REDACTED}@`).replace(INLINE_SECRET, `$1$2${REDACTED}`);
}

export function redact(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactString(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return redactString(v.message);
  if (v === null || typeof v !== 'object') return v;
  if (depth > 4) return '[deep]';
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  const out: Fields = {};
  for (const [k, x] of Object.entries(v as Fields)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(x, depth + 1);
  return out;
}

export function parseLevel(text: string): Level {
  if ((LEVELS as readonly string[]).includes(text)) return text as Level;
  throw usage(`--log-level: "${text}" is not one of ${LEVELS.join(', ')}`);
}

interface KeyWindow {
  start: number;
  lines: number;
  suppressed: number;
}

export class Logger {
  private level: Level;
  private readonly write: (line: string) => void;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, KeyWindow>();
  /** lines written per level, and lines suppressed by the rate limit (for metrics) */
  readonly written: Record<Level, number> = { debug: 0, info: 0, warn: 0, error: 0 };
  suppressed = 0;

  constructor(opts: LogOptions = {}) {
    this.level = opts.level ?? 'info';
    this.write =
      opts.write ??
      ((line) => {
        process.stderr.write(`${line}\n`);
      });
    this.burst = opts.burst ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  setLevel(level: Level): void {
    this.level = level;
  }
  enabled(level: Level): boolean {
    return RANK[level] >= RANK[this.level];
  }

  debug(key: string, msg: string, fields?: Fields): void {
    this.log('debug', key, msg, fields);
  }
  info(key: string, msg: string, fields?: Fields): void {
    this.log('info', key, msg, fields);
  }
  warn(key: string, msg: string, fields?: Fields): void {
    this.log('warn', key, msg, fields);
  }
  error(key: string, msg: string, fields?: Fields): void {
    this.log('error', key, msg, fields);
  }

  log(level: Level, key: string, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      w = { start: t, lines: 0, suppressed: w?.suppressed ?? 0 };
      this.windows.set(key, w);
    }
    if (w.lines >= this.burst) {
      w.suppressed++;
      this.suppressed++;
      return;
    }
    w.lines++;
    const line: Fields = { ts: new Date(t).toISOString(), level, key, msg: redactString(msg) };
    if (fields) for (const [k, v] of Object.entries(redact(fields) as Fields)) if (!(k in line)) line[k] = v; // ours win
    if (w.suppressed > 0) {
      line.suppressed = w.suppressed;
      w.suppressed = 0;
    }
    this.written[level]++;
    this.write(JSON.stringify(line));
  }
}

/** The process's logger; `tcplens run` sets its level from --log-level. */
export const log = new Logger();
