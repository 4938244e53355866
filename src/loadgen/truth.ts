// The workload's ground truth: one ndjson line per flow, written by the
// workload itself. The socket cookie is unknown to it: views are joined to
// flows on netns inode + 4-tuple + time.
import * as fs from 'fs';

export interface TruthFlow {
  id: number;
  family: 4 | 6;
  netns_inode: number;
  /** client side of the 4-tuple; the server's socket is the reverse */
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** wall ns since the epoch, as decimal strings (JSON has no u64) */
  start_ns: string; // connect() called
  connect_ns: string; // connected
  fin_ns: string; // client shut down its side (bytes done and duration reached)
  server_eof_ns: string; // the server read the client's FIN (and closes its side now)
  client_end_ns: string; // the client's 'close' event
  server_end_ns: string; // the server's 'close' event
  /** the flow's close as the kernel saw it: server_eof_ns (the server
   * close(2)s right then and the loopback FIN/ACK exchange completes inside
   * that syscall; both sockets then leave the tables). client_end_ns when
   * the server never saw the flow. */
  end_ns: string;
  /** planned payload each way, and what the peers actually received */
  up: number;
  down: number;
  up_received: number;
  down_received: number;
  planned_ms: number;
  /** empty when the flow ran as planned */
  error: string;
}

export interface TruthSummary {
  done: true;
  flows: number;
  errors: number;
  /** flows started later than planned by more than 5 ms (the workload was starved) */
  late: number;
  max_concurrent: number;
  netns_inode: number;
  started_ns: string;
  ended_ns: string;
}

export function readTruth(file: string): TruthFlow[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TruthFlow);
}
