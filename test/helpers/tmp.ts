// Temporary directories owned by a suite: made under the OS's tmp, removed
// after, so no test leaves files behind or depends on another's.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** tmp() makes a new directory; all are removed after the suite. Call inside describe(). */
export function suiteTmp(prefix: string): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** A fresh directory for each test (`.path`), removed after it. Call inside describe(). */
export function eachTmpDir(prefix: string): { readonly path: string } {
  const dir = { path: '' };
  beforeEach(() => {
    dir.path = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    if (dir.path) fs.rmSync(dir.path, { recursive: true, force: true });
    dir.path = '';
  });
  return dir;
}
