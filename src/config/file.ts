// --config FILE: a JSON object of settings, keys named as the command's flags.
// Read here rather than by yargs, which require()s the file (a .js file would
// run; a file not named .json is parsed as JavaScript) and hides why a file
// could not be used ("Invalid JSON config file"). Every key and value is
// checked against the command's own options (optionTypes), so a key added as
// a flag is accepted here at once, and a wrong type is one line naming the key.
import * as fs from 'fs';
import { TcplensError, usage } from '../util/errors';
import { clip } from './env';
import { typeName, type OptionTypes } from './option_types';

/** Largest config file read: settings, not data. */
const MAX_BYTES = 1 << 20;

function read(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw usage(`--config: ${clip(file)} is a directory, not a JSON file`);
    const buf = Buffer.alloc(MAX_BYTES + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_BYTES) throw usage(`--config: ${clip(file)} is larger than 1 MiB`);
    return buf.subarray(0, n).toString('utf8');
  } catch (e) {
    if (e instanceof TcplensError) throw e;
    throw usage(`--config: cannot read ${clip(file)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** One value of `key` checked against the option's type; numbers are taken for string options ("interval": 10). */
function value(file: string, key: string, v: unknown, types: OptionTypes): unknown {
  const want = types.types.get(key);
  const bad = (): TcplensError =>
    usage(`--config ${clip(file)}: "${clip(key)}" must be ${want === 'boolean' ? 'true or false' : `a ${want}`}, not ${typeName(v)}`);
  if (want === 'string') {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw bad();
  }
  if (want === 'number') {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw bad();
  }
  if (want === 'boolean') {
    if (typeof v === 'boolean') return v;
    throw bad();
  }
  return v;
}

/** The settings in `file` for a command whose options are `types`; one usage error line otherwise. */
export function loadConfigFile(file: string, types: OptionTypes): Record<string, unknown> {
  const text = read(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usage(`--config: ${clip(file)} is not JSON (${clip(String((e as Error).message), 100)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw usage(`--config: ${clip(file)} must hold a JSON object of settings ({"interval": "5s", ...}), not ${typeName(parsed)}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
    const name = types.canonical(key);
    if (name === undefined || name === 'config')
      throw usage(`--config ${clip(file)}: unknown key "${clip(key)}" (keys are the flags of the command, e.g. "interval")`);
    out[key] = value(file, name, v, types);
  }
  return out;
}
