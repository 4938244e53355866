// Checks of flag values that several commands share, each a one-line usage
// error naming the flag: files a command will write, printable text,
// namespace names, server versions, the flags of a saved question.
import * as fs from 'fs';
import * as path from 'path';
import { usage } from '../util/errors';
import { clip } from '../config/env';
import { dialectFor, LEGACY, type Dialect } from '../sinks/clickhouse/dialect';
import type { Question } from '../query/library';
import { parseFilters, queryTarget, type QueryFlags } from '../query/flags';
import { renderQuestion } from '../query/render';

/** A file the command will write later: its directory exists, and it is not a directory itself. */
export function checkOutputPath(file: string, flag: string): void {
  const sep = flag.endsWith(':') ? '' : ' ';
  if (!file) throw usage(`${flag}${sep}needs a file name`);
  if (file.includes('\u0000')) throw usage(`${flag}${sep}"${clip(file)}" is not a file name`);
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw usage(`${flag}${sep}${clip(file)}: its directory cannot be used (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!st.isDirectory()) throw usage(`${flag}${sep}${clip(file)}: ${clip(dir)} is not a directory`);
  let self: fs.Stats | undefined;
  try {
    self = fs.statSync(file);
  } catch {
    return; // made when written
  }
  if (self.isDirectory()) throw usage(`${flag}${sep}${clip(file)} is a directory; name a file`);
}

/** A directory the command makes when missing (mkdir -p): a directory where it exists, else below one. */
export function checkDirPath(dir: string, flag: string): void {
  if (!dir || dir.includes('\u0000') || dir.length > 4095) throw usage(`${flag}: "${clip(dir)}" is not a directory name`);
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && p !== path.dirname(p)) continue;
      throw usage(`${flag}: ${clip(dir)} cannot be used (${code ?? 'error'})`);
    }
    if (!st.isDirectory()) throw usage(`${flag}: ${clip(p === path.resolve(dir) ? dir : p)} is not a directory`);
    return;
  }
}

/** Text written with every row or into a name: 1 to `max` characters, none a control character. */
export function checkPrintable(flag: string, v: string, max = 255): string {
  // eslint-disable-next-line no-control-regex
  if (v.length < 1 || v.length > max || /[\u0000-\u001f\u007f]/.test(v))
    throw usage(`${flag}: 1 to ${max} printable characters expected, got "${clip(v)}"`);
  return v;
}

/** A namespace a workload runs in: an existing name under /run/netns. */
export function checkNetnsName(name: string, flag = '--netns'): void {
  if (name.length < 1 || name.length > 255 || /[/\0]/.test(name) || name === '.' || name === '..')
    throw usage(`${flag}: "${clip(name)}" is not a namespace name (a name under /run/netns)`);
  if (!fs.existsSync(path.join('/run/netns', name))) throw usage(`${flag}: no network namespace "${clip(name)}" under /run/netns`);
}

/** --server-version: MAJOR.MINOR[.PATCH...], as `SELECT version()` answers. */
export function serverVersion(text: string, flag = '--server-version'): Dialect {
  if (!/^\d{1,4}\.\d{1,4}(\.\d{1,6}){0,3}$/.test(text.trim()))
    throw usage(`${flag}: "${clip(text)}" is not a ClickHouse version (examples: 18.16, 24.8.1)`);
  return dialectFor(text.trim());
}

/** `tcplens query`/`flow`: the filters, the server's address and the
 * question's parameters parsed, and the SQL rendered once (as answer() will),
 * so that a bad value fails before a server is asked. */
export function checkQueryFlags(q: Question, args: QueryFlags, params: Record<string, string | undefined>): void {
  const filters = parseFilters(args);
  const cfg = queryTarget(args);
  if (args['server-version'] !== undefined) serverVersion(args['server-version']);
  renderQuestion(q, { database: cfg.database, dialect: LEGACY, filters, params });
}
