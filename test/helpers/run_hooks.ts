// The hooks of a `tcplens run` test against ClickHouse: a fresh namespace (its
// inode) and data directory per test, every run killed and every test server
// removed afterwards; skipped without root or ClickHouse.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createNetns, deleteNetns, isRoot } from './netns';
import { haveClickHouse, type TestServer } from './clickhouse';
import { killRuns } from './run_proc';
import { skipIf } from './skip';

export interface RunTestState {
  ns: string;
  ino: number;
  dataDir: string;
  /** servers the test started: stopped and removed after it */
  servers: TestServer[];
}

export function runTestHooks(tag: string): RunTestState {
  const s: RunTestState = { ns: '', ino: 0, dataDir: '', servers: [] };
  beforeEach(function () {
    skipIf(this, !isRoot(), 'needs root to create network namespaces');
    skipIf(this, !haveClickHouse(), 'clickhouse-server not installed (scripts/bootstrap.sh installs it)');
    s.ns = createNetns(tag);
    s.ino = fs.statSync(`/run/netns/${s.ns}`).ino;
    s.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlrun-'));
  });
  afterEach(async () => {
    killRuns();
    if (s.ns) deleteNetns(s.ns);
    if (s.dataDir) fs.rmSync(s.dataDir, { recursive: true, force: true });
    for (const t of s.servers.splice(0)) await t.cleanup();
  });
  return s;
}
