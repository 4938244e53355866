// The saved questions: schema/queries/<name>.sql files whose header names the
// question, says what it answers, which parameters it takes and which
// columns it returns. The CLI (`tcplens query`, `tcplens flow`), the tests and
// the benchmark read these files; nothing else holds their SQL.
import * as fs from 'fs';
import * as path from 'path';
import { TcplensError } from '../util/errors';

export const QUERIES_DIR = path.join(__dirname, '..', '..', '..', 'schema', 'queries');

export type ParamKind = 'uint' | 'duration' | 'string' | 'enum';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** enum: the accepted values */
  choices: string[];
  /** default as the user would type it; undefined = required */
  def: string | undefined;
  describe: string;
}

export interface Question {
  name: string;
  purpose: string;
  params: ParamSpec[];
  /** common filters the question must be given (e.g. who-talked needs --peer) */
  requires: string[];
  columns: string;
  /** the tables named by {{where:TABLE}}: they decide which common filters apply */
  whereTables: string[];
  /** the SQL body (header comments dropped) */
  body: string;
  file: string;
}

const PARAM_RE = /^param ([a-z_]+): (uint|duration|string|enum\(([a-z0-9_,-]+)\))(?: = (\S+))?; (.+)$/;

/** Parses one question file; throws on a malformed header (a test loads them all). */
export function parseQuestion(file: string, text: string): Question {
  const header: string[] = [];
  const body: string[] = [];
  for (const line of text.split('\n')) {
    if (body.length === 0 && line.startsWith('--')) header.push(line.replace(/^--\s?/, ''));
    else body.push(line);
  }
  const field = (k: string): string[] => header.filter((h) => h.startsWith(`${k}:`)).map((h) => h.slice(k.length + 1).trim());
  const name = field('question')[0];
  const bad = (msg: string): TcplensError => new TcplensError('EUSAGE', `${path.basename(file)}: ${msg}`);
  if (!name) throw bad('no "-- question:" header');
  // continuation lines (indented) belong to the field above them
  const joined: string[] = [];
  for (const h of header) {
    if (/^\s/.test(h) && joined.length) joined[joined.length - 1] += ` ${h.trim()}`;
    else joined.push(h);
  }
  const params: ParamSpec[] = [];
  for (const h of joined.filter((x) => x.startsWith('param '))) {
    const m = PARAM_RE.exec(h);
    if (!m) throw bad(`bad param line: ${h}`);
    const kind = (m[2]!.startsWith('enum') ? 'enum' : m[2]) as ParamKind;
    params.push({ name: m[1]!, kind, choices: m[3] ? m[3].split(',') : [], def: m[4], describe: m[5]! });
  }
  const purpose =
    joined
      .find((h) => h.startsWith('purpose:'))
      ?.slice(8)
      .trim() ?? '';
  const columns =
    joined
      .find((h) => h.startsWith('columns:'))
      ?.slice(8)
      .trim() ?? '';
  if (!purpose || !columns) throw bad('needs "-- purpose:" and "-- columns:" headers');
  const sql = body.join('\n').trim();
  return {
    name,
    purpose,
    params,
    requires: (field('requires')[0] ?? '').split(/[ ,]+/).filter(Boolean),
    columns,
    whereTables: [...new Set([...sql.matchAll(/\{\{where:([a-z_]+)\}\}/g)].map((x) => x[1]!))],
    body: sql,
    file,
  };
}

/** Every saved question (files with a "-- question:" header), by name. */
export function loadLibrary(dir = QUERIES_DIR): Map<string, Question> {
  const out = new Map<string, Question>();
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.sql')) continue;
    const file = path.join(dir, f);
    const text = fs.readFileSync(file, 'utf8');
    if (!/^-- question:/m.test(text)) continue; // the dashboards' and compare's own SQL
    const q = parseQuestion(file, text);
    if (`${q.name}.sql` !== f) throw new TcplensError('EUSAGE', `${f}: question "${q.name}" must live in ${q.name}.sql`);
    out.set(q.name, q);
  }
  return out;
}
