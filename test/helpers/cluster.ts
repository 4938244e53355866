// A private ClickHouse cluster on this machine: S shards x R replicas, one
// clickhouse-server each on free 127.0.0.1 ports, and (when replicated) a
// private ZooKeeper with the {shard}/{replica} macros set per server. Used by
// the cluster tests and by bench/fleet; everything is removed by cleanup().
import { startTestServer, testPorts, type TestPorts, type TestServer } from './clickhouse';
import { startZooKeeper, type TestZooKeeper } from './zookeeper';

export interface ClusterOptions {
  /** the remote_servers name */
  name: string;
  shards: number;
  /** replicas per shard (default 1) */
  replicas?: number;
  /** start ZooKeeper and set the macros (ReplicatedMergeTree, ON CLUSTER); default: replicas > 1 */
  zookeeper?: boolean;
  /** each server's max_connections (default 256) */
  maxConnections?: number;
}

export interface TestCluster {
  name: string;
  /** every server, shard by shard: [shard0 replica0, shard0 replica1, shard1 replica0, ...] */
  servers: TestServer[];
  /** servers[i]'s shard (0-based) */
  shardOf(i: number): number;
  zk: TestZooKeeper | undefined;
  cleanup(): Promise<void>;
}

/** remote_servers for the cluster (internal_replication: a Distributed insert
 * goes to one replica, ReplicatedMergeTree copies it to the others), and with
 * ZooKeeper its node and this server's macros */
export function clusterXml(name: string, tcp: number[][], shard: number, replica: number, zkPort?: number): string {
  const shards = tcp
    .map(
      (reps) =>
        `<shard><internal_replication>true</internal_replication>${reps.map((p) => `<replica><host>127.0.0.1</host><port>${p}</port></replica>`).join('')}</shard>`,
    )
    .join('');
  const zk = zkPort
    ? `<zookeeper><node><host>127.0.0.1</host><port>${zkPort}</port></node></zookeeper><macros><shard>${shard + 1}</shard><replica>r${replica + 1}</replica></macros>`
    : '';
  return `<remote_servers><${name}>${shards}</${name}></remote_servers>${zk}`;
}

export async function startCluster(o: ClusterOptions): Promise<TestCluster> {
  const replicas = o.replicas ?? 1;
  const useZk = o.zookeeper ?? replicas > 1;
  const servers: TestServer[] = [];
  // ZooKeeper first: 18.16's DDL worker crashes when its first session fails
  const zk = useZk ? await startZooKeeper() : undefined;
  const cleanup = async (): Promise<void> => {
    // every server told to stop at once: one still running would go on
    // merging while another's data directory (up to ~10^5 part files after a
    // fleet run) is being deleted
    await Promise.all(servers.splice(0).map((s) => s.cleanup()));
    await zk?.stop();
  };
  try {
    const ports: TestPorts[][] = [];
    for (let s = 0; s < o.shards; s++) {
      const reps: TestPorts[] = [];
      for (let r = 0; r < replicas; r++) reps.push(await testPorts());
      ports.push(reps);
    }
    const tcp = ports.map((reps) => reps.map((p) => p.tcp));
    for (const [s, reps] of ports.entries())
      for (const [r, p] of reps.entries())
        servers.push(
          await startTestServer({
            ports: p,
            extraConfig: clusterXml(o.name, tcp, s, r, zk?.port),
            maxConnections: o.maxConnections ?? 256,
          }),
        );
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { name: o.name, servers, shardOf: (i) => Math.floor(i / replicas), zk, cleanup };
}
