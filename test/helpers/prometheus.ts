// A private Prometheus (Debian's `prometheus` package) for tests: scrapes
// one target every second, evaluates the given rule files every second, on
// a free port with its data in a temp dir, removed by stop().
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './clickhouse';

export const PROMETHEUS = '/usr/bin/prometheus';

export interface TestPrometheus {
  url: string;
  /** an instant query: [labels, value] per series; [] when the expression is empty */
  query(expr: string): Promise<Array<[Record<string, string>, number]>>;
  /** the alerts the rules hold now (pending: the expression is true, `for` not yet over) */
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startPrometheus(target: string, ruleFiles: string[] = []): Promise<TestPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlprom-'));
  const port = await freePort();
  const cfg = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${ruleFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
    'scrape_configs:',
    '  - job_name: tcplens',
    `    static_configs: [{ targets: ["${target}"] }]`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), cfg);
  const proc: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (i > 150 || proc.exitCode !== null) {
      await stop();
      throw new Error(`prometheus did not become ready: ${stderr}`);
    }
    await sleep(200);
  }
  const api = async <T>(p: string): Promise<T> => {
    const res = (await (await fetch(`${url}${p}`)).json()) as { status: string; data: T; error?: string };
    if (res.status !== 'success') throw new Error(`prometheus ${p}: ${res.error}`);
    return res.data;
  };
  return {
    url,
    async query(expr) {
      const d = await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return d.result.map((r) => [r.metric, Number(r.value[1])]);
    },
    async alerts() {
      return (await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts')).alerts;
    },
    stop,
  };
}
