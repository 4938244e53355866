// A private ZooKeeper for tests of the replicated fleet schema: Debian's
// zookeeper.jar run directly (no service), data in a temp dir, on a free
// 127.0.0.1 port, stopped and removed afterwards.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './clickhouse';

const JAR = '/usr/share/java/zookeeper.jar';

export const haveZooKeeper = (): boolean => fs.existsSync(JAR) && fs.existsSync('/usr/bin/java');

export interface TestZooKeeper {
  port: number;
  /** the java process (for CPU and memory figures) */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** ZooKeeper's `srvr` answers "Mode: standalone" once it serves sessions. An
 * open port is not enough: 18.16's DDL worker segfaults when its first
 * ZooKeeper session fails, so the servers may start only after this. */
const serving = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    let out = '';
    const s = net.connect(port, '127.0.0.1', () => s.write('srvr'));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('data', (d: Buffer) => {
      out += d.toString();
    });
    s.once('close', () => resolve(/Mode: standalone/.test(out)));
    s.once('error', () => resolve(false));
  });

export async function startZooKeeper(): Promise<TestZooKeeper> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlzk-'));
  const port = await freePort();
  const cfg = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(
    cfg,
    `tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n`,
  );
  const proc: ChildProcess = spawn(
    'java',
    ['-Xmx256m', '-cp', `/etc/zookeeper/conf:${JAR}`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg],
    { stdio: 'ignore' },
  );
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => {
        proc.once('exit', r);
        setTimeout(r, 5000).unref();
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    if (await serving(port)) return { port, pid: proc.pid, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`zookeeper did not start on port ${port}`);
}
