// Private ClickHouse servers for tests: temp dir, free ports, removed after.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as net from 'net';
import { execFileSync } from 'child_process';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { LocalClickHouse } from '../../src/sinks/clickhouse/local_server';
import { applySchema } from '../../src/sinks/clickhouse/schema';

export function haveClickHouse(): boolean {
  if (process.env['TCPLENS_TEST_NO_CLICKHOUSE']) return false; // the kernel matrix's guests (scripts/kernels/guest-run.js)
  try {
    execFileSync('which', ['clickhouse-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const handedOut = new Set<number>();

/** A port nobody listens on now (bound then released by the kernel's choice),
 * never the same twice in this process: the kernel may offer a just-released
 * port again, and two servers given one port fail half-started. */
export async function freePort(): Promise<number> {
  for (;;) {
    const p = await kernelPort();
    if (!handedOut.has(p)) {
      handedOut.add(p);
      return p;
    }
  }
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  server: LocalClickHouse;
  url: string;
  client: ClickHouseClient;
  /** a fresh database name, unique per call */
  freshDb(tag?: string): string;
  /** stops the server and removes its directory */
  cleanup(): Promise<void>;
  /** the last lines of the server's error log (for a failed test's report) */
  errorLog(lines?: number): string;
}

let dbCounter = 0;

export interface TestPorts {
  http: number;
  tcp: number;
  interserver: number;
}

export async function testPorts(): Promise<TestPorts> {
  return { http: await freePort(), tcp: await freePort(), interserver: await freePort() };
}

/** Starts a server in a fresh temp dir (on `ports`, default fresh ones). */
export async function startTestServer(
  opts: { ports?: TestPorts; extraConfig?: string; maxConnections?: number } = {},
): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlch-'));
  const { http, tcp, interserver } = opts.ports ?? (await testPorts());
  const server = new LocalClickHouse({
    dir,
    httpPort: http,
    tcpPort: tcp,
    interserverPort: interserver,
    ...(opts.extraConfig ? { extraConfig: opts.extraConfig } : {}),
    ...(opts.maxConnections ? { maxConnections: opts.maxConnections } : {}),
  });
  await server.start();
  const client = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } });
  return {
    server,
    url: server.url,
    client,
    freshDb: (tag = 't') => `tlt_${tag}_${process.pid}_${++dbCounter}`,
    errorLog: (lines = 20) => {
      try {
        return fs
          .readFileSync(path.join(dir, 'log', 'error.log'), 'utf8')
          .trim()
          .split('\n')
          .slice(-lines)
          .join('\n');
      } catch {
        return '(no error log)';
      }
    },
    cleanup: async () => {
      await client.close().catch(() => undefined);
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of a query as objects (JSONEachRow; u64 come back as strings). */
export async function rows<T = Record<string, unknown>>(client: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** A fresh database on t (freshDb(tag)) with tcplens's schema applied; opts
 * as applySchema's, the database aside. Resolves with the database's name. */
export async function freshSchemaDb(
  t: Pick<TestServer, 'client' | 'freshDb'>,
  tag: string,
  opts: Omit<Parameters<typeof applySchema>[1], 'database'> = {},
): Promise<string> {
  const db = t.freshDb(tag);
  await applySchema(t.client, { database: db, ...opts });
  return db;
}

/** One server for a whole describe(): started in before(), removed in after().
 * Tests share it, each in its own freshDb(). Skips when clickhouse-server is
 * missing (scripts/bootstrap.sh installs it; CI always has it). */
export function sharedServer(): TestServer {
  const h = {} as TestServer;
  before(async function () {
    this.timeout(60_000);
    if (!haveClickHouse()) {
      this.skip();
      return;
    }
    Object.assign(h, await startTestServer());
  });
  after(async () => {
    await h.cleanup?.();
  });
  return h;
}
