// Private ClickHouse servers for tests: temp dir, free ports, removed after.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as net from 'net';
import { execFileSync } from 'child_process';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { LocalClickHouse } from '../../src/sinks/clickhouse/local_server';

export function haveClickHouse(): boolean {
  try { execFileSync('which', ['clickhouse-server'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** A port nobody listens on now (bound then released by the kernel's choice). */
export function freePort(): Promise<number> {
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
}

let dbCounter = 0;

export async function startTestServer(extraConfig?: (ports: { http: number; tcp: number }) => string): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlch-'));
  const http = await freePort();
  const tcp = await freePort();
  const interserverPort = await freePort();
  const server = new LocalClickHouse({ dir, httpPort: http, tcpPort: tcp, interserverPort, extraConfig: extraConfig?.({ http, tcp }) });
  await server.start();
  const client = createClient({ url: server.url });
  return {
    server,
    url: server.url,
    client,
    freshDb: (tag = 't') => `tlt_${tag}_${process.pid}_${++dbCounter}`,
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
