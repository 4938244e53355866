// A private clickhouse-server: its own config, data under one directory, on
// chosen ports, listening on 127.0.0.1 only. `tcplens run` starts one under
// ./.tcplens/clickhouse when no ClickHouse is configured; tests start theirs
// in temp dirs. A server already answering on the HTTP port with the same
// data directory (pid file) is reused, not started twice.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as http from 'http';
import { TcplensError } from '../../util/errors';
import type { ClickHouseConfig } from './config';
import { PRIVATE_FILE_MODE, privateDir } from '../../util/private_dir';
import { localPassword, sha256Hex } from './local_password';

export interface LocalServerOptions {
  /** data, logs and config live here (created) */
  dir: string;
  httpPort: number;
  tcpPort: number;
  interserverPort?: number;
  /** extra XML inside <yandex> (remote_servers, macros, zookeeper) */
  extraConfig?: string;
  /** concurrent client connections (default 256) */
  maxConnections?: number;
  /** ms to wait for /ping; default 30 s (18.16 needs a few seconds) */
  readyTimeoutMs?: number;
  binary?: string;
  /** own process group, not waited for: the server outlives this process (tcplens run) */
  detached?: boolean;
  /** the `default` user's password (users.xml holds its SHA-256 only); none = no password (tests) */
  password?: string;
}

// keep_alive_timeout well above the client's idle-socket TTL (2.5 s): else the
// client may reuse a socket the server is closing ("socket hang up")
function configXml(o: LocalServerOptions, dir: string): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><size>10M</size><count>2</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${o.httpPort}</http_port>
  <tcp_port>${o.tcpPort}</tcp_port>
  <interserver_http_port>${o.interserverPort ?? o.tcpPort + 9}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <max_connections>${o.maxConnections ?? 256}</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_concurrent_queries>50</max_concurrent_queries>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mark_cache_size>67108864</mark_cache_size>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  ${o.extraConfig ?? ''}
</yandex>
`;
}

const usersXml = (password?: string): string => `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage><log_queries>0</log_queries></default></profiles>
  <users><default>${password ? `<password_sha256_hex>${sha256Hex(password)}</password_sha256_hex>` : '<password></password>'}<networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/** GET /ping on 127.0.0.1:port: true when the server answers "Ok.". */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ping', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.startsWith('Ok')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** HTTP status of SELECT 1 as `default` with `password` (0 when nothing answers). */
export function authStatus(port: number, password: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const auth = Buffer.from(`default:${password}`).toString('base64');
    const req = http.get(
      { host: '127.0.0.1', port, path: '/?query=SELECT%201', timeout: timeoutMs, headers: { Authorization: `Basic ${auth}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LocalClickHouse {
  readonly dir: string;
  private proc: ChildProcess | null = null;
  /** true when start() found a server of ours already running and reused it */
  reused = false;

  constructor(readonly opts: LocalServerOptions) {
    this.dir = path.resolve(opts.dir);
  }

  get url(): string {
    return `http://127.0.0.1:${this.opts.httpPort}`;
  }
  get pidFile(): string {
    return path.join(this.dir, 'clickhouse.pid');
  }

  /** pid of the server recorded in our directory, if that process is alive */
  runningPid(): number | null {
    try {
      const pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
      if (pid > 0) {
        process.kill(pid, 0);
        return pid;
      }
    } catch {
      /* no pid file or dead process */
    }
    return null;
  }

  /** Starts the server (or reuses ours if it already answers) and waits until /ping answers. */
  async start(): Promise<void> {
    const d = this.dir;
    if (this.runningPid() !== null && (await ping(this.opts.httpPort))) {
      this.reused = true;
      // a server of an older tcplens may still let `default` in without a
      // password: it reloads users.xml by itself (every few seconds)
      if (this.writeUsers()) await this.awaitPassword();
      return;
    }
    privateDir(d); // its data is every tenant's connections: owner only
    for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) fs.mkdirSync(path.join(d, sub), { recursive: true });
    fs.writeFileSync(path.join(d, 'config.xml'), configXml(this.opts, d), { mode: PRIVATE_FILE_MODE });
    this.writeUsers();
    if (await ping(this.opts.httpPort)) {
      throw new TcplensError('ECLICKHOUSE', `port ${this.opts.httpPort} already answers as a ClickHouse server not started from ${d}`);
    }
    const bin = this.opts.binary ?? 'clickhouse-server';
    // stderr to a file, not a pipe: the server may outlive us (reused by the next run)
    const errFile = path.join(d, 'log', 'stderr.log');
    const errFd = fs.openSync(errFile, 'a');
    const proc = spawn(bin, [`--config-file=${path.join(d, 'config.xml')}`, `--pidfile=${this.pidFile}`], {
      stdio: ['ignore', 'ignore', errFd],
      detached: this.opts.detached ?? false,
    });
    fs.closeSync(errFd);
    if (this.opts.detached) proc.unref();
    this.proc = proc;
    let exited: number | null = null;
    let spawnError = '';
    proc.once('exit', (code) => {
      exited = code ?? -1;
    });
    proc.once('error', (e) => {
      exited = -1;
      spawnError = String(e.message);
    });
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (exited !== null) {
        const last = spawnError || fs.readFileSync(errFile, 'utf8').trim().split('\n').pop() || '';
        throw new TcplensError('ECLICKHOUSE', `clickhouse-server exited (${exited}): ${last} (logs: ${d}/log/)`);
      }
      if (await ping(this.opts.httpPort, 500)) return;
      await sleep(150);
    }
    await this.stop();
    throw new TcplensError(
      'ECLICKHOUSE',
      `clickhouse-server not ready on port ${this.opts.httpPort} within ${this.opts.readyTimeoutMs ?? 30_000} ms (log: ${d}/log/error.log)`,
    );
  }

  /** users.xml as the options want it (atomically: the server may be reading it); true when it changed */
  private writeUsers(): boolean {
    const f = path.join(this.dir, 'users.xml');
    const want = usersXml(this.opts.password);
    try {
      if (fs.readFileSync(f, 'utf8') === want) return false;
    } catch {
      /* none yet */
    }
    fs.writeFileSync(`${f}.tmp`, want, { mode: PRIVATE_FILE_MODE });
    fs.renameSync(`${f}.tmp`, f);
    return true;
  }

  /** until the running server takes the password (it reloads users.xml on its own) */
  private async awaitPassword(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const f = path.join(this.dir, 'users.xml');
    for (let i = 1; Date.now() < deadline; i++) {
      if ((await authStatus(this.opts.httpPort, this.opts.password ?? '')) === 200) return;
      await sleep(250);
      // 18.16 sometimes misses a change made right after it started (seen
      // here): a newer mtime every 2 s makes it look again
      if (i % 8 === 0) fs.utimesSync(f, new Date(), new Date());
    }
    throw new TcplensError(
      'ECLICKHOUSE',
      `the running local ClickHouse on port ${this.opts.httpPort} did not take the new users.xml (${this.dir})`,
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    const pid = this.proc?.pid ?? this.runningPid();
    this.proc = null;
    if (!pid) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await sleep(50);
  }
}

/** Defaults for `tcplens run` without a configured ClickHouse. */
export const LOCAL_DEFAULTS = { dir: '.tcplens/clickhouse', httpPort: 18123, tcpPort: 19000, interserverPort: 19009 };

/** Starts (or reuses) the private server `run` falls back to, detached so the
 * next run reuses it, with its password (local_password.ts); returns it and
 * the config to write to (database tcplens). */
export async function ensureLocalServer(
  o: Partial<LocalServerOptions> = {},
): Promise<{ server: LocalClickHouse; config: ClickHouseConfig }> {
  const dir = o.dir ?? LOCAL_DEFAULTS.dir;
  privateDir(dir);
  const password = o.password ?? localPassword(dir);
  const server = new LocalClickHouse({ ...LOCAL_DEFAULTS, detached: true, ...o, password });
  await server.start();
  return { server, config: { url: server.url, user: 'default', password, database: 'tcplens' } };
}
