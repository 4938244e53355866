// A TCP proxy in front of a ClickHouse HTTP port that misbehaves on the next
// INSERTs, one fault each, for real (the server behind it is a real one):
//   lose-answer  the request reaches the server (the rows land), then the
//                connection is cut when the answer comes back
//   reset        the connection is reset before anything reaches the server
//   truncate     half the request reaches the server, then both sides are cut
//   http500      the proxy answers 500 with a body that is not ClickHouse's
//   garbage      the proxy answers bytes that are not HTTP, then closes
//   stall        nothing is forwarded and nothing answered (the client times out)
//   slow         forwarded; the answer is held `slowMs` (past the client's timeout)
// Other requests (queries, the dedup check) pass through untouched.
import * as net from 'net';

export const FAULTS = ['lose-answer', 'reset', 'truncate', 'http500', 'garbage', 'stall', 'slow'] as const;
export type Fault = (typeof FAULTS)[number];

export class FaultProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** faults for the next INSERTs, in order */
  readonly faults: Fault[] = [];
  /** faults applied so far, per kind */
  readonly applied: Partial<Record<Fault, number>> = {};
  slowMs = 3000;
  port = 0;

  constructor(readonly target: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => this.serve(client));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private serve(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    }
    let fault: Fault | undefined;
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      if (!fault && this.faults.length && d.includes('INSERT')) {
        fault = this.faults.shift()!;
        this.applied[fault] = (this.applied[fault] ?? 0) + 1;
        if (fault === 'reset') return void client.resetAndDestroy();
        if (fault === 'http500')
          return void client.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 12\r\nConnection: close\r\n\r\nproxy broke\n');
        if (fault === 'garbage') return void client.end(Buffer.from('\x00\x01not http at all\xff\xfe\r\n\r\n', 'latin1'));
        if (fault === 'truncate') {
          upstream.write(d.subarray(0, d.length >> 1), () => setTimeout(close, 50));
          return;
        }
      }
      if (fault === 'stall' || fault === 'truncate' || fault === 'http500' || fault === 'garbage') return;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (fault === 'lose-answer') return close();
      if (fault === 'slow') {
        upstream.pause();
        setTimeout(() => {
          if (!client.destroyed) client.write(d);
          upstream.resume();
        }, this.slowMs);
        return;
      }
      client.write(d);
    });
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  /** stops listening and cuts every connection still open */
  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
    });
  }
}
