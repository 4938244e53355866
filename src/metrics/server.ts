// The metrics HTTP server: /metrics, /healthz, /readyz, and (only with
// debug on) /debug/profile and /debug/heap. Listens on 127.0.0.1:9088
// unless told otherwise. startMetrics() is what `tcplens run` calls.
import * as http from 'http';
import * as net from 'net';
import type { Registry } from 'prom-client';
import { usage, TcplensError } from '../util/errors';
import { log, type Logger } from '../util/log';
import { createRegistry } from './registry';
import { readiness, type Readiness } from './readiness';
import { cpuProfile, heapSnapshot } from './profile';
import { BpfProgStats, type StatsWindow } from './bpf_stats';
import type { PipelineStages } from './stages';

export const DEFAULT_LISTEN = '127.0.0.1:9088';
const MAX_PROFILE_SECONDS = 60;

export interface ListenAddress {
  host: string;
  port: number;
}

/** "HOST:PORT", "[V6]:PORT" or "PORT" (= 127.0.0.1:PORT); one clear error otherwise. */
export function parseListen(text: string): ListenAddress {
  const bad = (why: string): TcplensError => usage(`--listen: "${text}" ${why} (examples: 127.0.0.1:9088, [::1]:9088, 0.0.0.0:9088)`);
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d+)$/.exec(text.trim()) ?? /^()()(\d+)$/.exec(text.trim());
  if (!m) throw bad('is not HOST:PORT');
  const host = m[1] || m[2] || (/^\d+$/.test(text.trim()) ? '127.0.0.1' : '');
  if (!host) throw bad('names no host: give 127.0.0.1, or 0.0.0.0 to listen on every interface');
  if (host !== 'localhost' && net.isIP(host) === 0) throw bad(`has "${host}", not an IP address`);
  const port = Number(m[3]);
  if (!(port >= 0 && port <= 65535)) throw bad('has a port outside 0-65535');
  return { host, port };
}

export interface MetricsOptions {
  /** default 127.0.0.1:9088; port 0 picks a free one */
  listen?: string;
  /** enables /debug/profile and /debug/heap (they expose process internals) */
  debug?: boolean;
  /** count run time of our BPF programs (BPF_ENABLE_STATS while we run); default true */
  /** BPF run-time stats: held for the whole run (true, the default), never (false), or in windows */
  bpfStats?: boolean | StatsWindow;
  version?: string;
  logger?: Logger;
}

export interface MetricsHandle {
  registry: Registry;
  address: ListenAddress;
  /** http://host:port */
  url: string;
  readiness(): Readiness;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function tcplensVersion(): string {
  try {
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function startMetrics(opts: MetricsOptions, stages: PipelineStages): Promise<MetricsHandle> {
  const logger = opts.logger ?? log;
  const address = parseListen(opts.listen ?? DEFAULT_LISTEN);
  let bpf: BpfProgStats | undefined;
  if (opts.bpfStats !== false) {
    try {
      const window = opts.bpfStats === true || opts.bpfStats === undefined ? undefined : opts.bpfStats;
      bpf = new BpfProgStats(window, (e) =>
        logger.warn(
          'metrics.bpf_stats',
          'BPF run-time stats: no window after this one (CAP_SYS_ADMIN was dropped after the start); --bpf-stats on holds them from the start',
          {
            error: e.message,
          },
        ),
      );
      if (bpf.error)
        logger.warn('metrics.bpf_stats', 'BPF run-time stats unavailable: tcplens_bpf_prog_run_seconds_total stays 0', {
          error: bpf.error,
        });
    } catch (e) {
      logger.warn('metrics.bpf_stats', 'BPF program stats unavailable', { error: (e as Error).message });
    }
  }
  const registry = createRegistry(stages, { version: opts.version ?? tcplensVersion(), bpfStats: bpf, logger });
  const ready = (): Readiness => readiness(stages);
  let profiling = false;

  const debugOff = (res: http.ServerResponse): void =>
    send(res, 403, 'debug endpoints are off: start tcplens with --debug-endpoints to enable /debug/profile and /debug/heap\n');

  const routes: Record<string, (url: URL, res: http.ServerResponse) => Promise<void> | void> = {
    '/metrics': async (_u, res) => send(res, 200, await registry.metrics(), registry.contentType),
    '/healthz': (_u, res) => send(res, 200, 'ok\n'),
    '/readyz': (_u, res) => {
      const r = ready();
      send(res, r.ready ? 200 : 503, r.ready ? 'ready\n' : `not ready: ${r.reasons.join('; ')}\n`);
    },
    '/debug/profile': async (u, res) => {
      if (!opts.debug) return debugOff(res);
      const raw = u.searchParams.get('seconds') ?? '10';
      const seconds = Number(raw);
      if (!/^\d+(\.\d+)?$/.test(raw) || !(seconds > 0) || seconds > MAX_PROFILE_SECONDS) {
        return send(res, 400, `seconds: "${raw}" is not a number of seconds in (0, ${MAX_PROFILE_SECONDS}]\n`);
      }
      if (profiling) return send(res, 409, 'a profile is already being taken\n');
      profiling = true;
      try {
        logger.info('metrics.profile', 'CPU profile started', { seconds });
        const profile = await cpuProfile(seconds);
        res.setHeader('content-disposition', `attachment; filename="tcplens-${process.pid}-${Date.now()}.cpuprofile"`);
        send(res, 200, JSON.stringify(profile), 'application/json');
      } finally {
        profiling = false;
      }
    },
    '/debug/heap': async (_u, res) => {
      if (!opts.debug) return debugOff(res);
      logger.info('metrics.heap', 'heap snapshot taken');
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-disposition': `attachment; filename="tcplens-${process.pid}-${Date.now()}.heapsnapshot"`,
      });
      await heapSnapshot(res);
      res.end();
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = routes[url.pathname];
    if (!route) return send(res, 404, `not found: ${url.pathname} (try /metrics, /healthz, /readyz, /debug/profile, /debug/heap)\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET\n');
    Promise.resolve(route(url, res)).catch((e: Error) => {
      logger.error('metrics.http', 'request failed', { path: url.pathname, error: e.message });
      if (!res.headersSent) send(res, 500, `${e.message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        usage(
          `--listen ${address.host}:${address.port}: ${e.code === 'EADDRINUSE' ? 'address already in use' : `${e.code ?? ''} ${e.message}`.trim()}`,
        ),
      );
    });
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as net.AddressInfo;
  const actual = { host: address.host, port: bound.port };
  const hostText = net.isIPv6(actual.host) ? `[${actual.host}]` : actual.host;
  logger.info('metrics.listen', 'metrics server listening', { url: `http://${hostText}:${actual.port}`, debug: opts.debug === true });
  let closed: Promise<void> | undefined;
  return {
    registry,
    address: actual,
    url: `http://${hostText}:${actual.port}`,
    readiness: ready,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        bpf?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
