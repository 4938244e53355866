// A TCP proxy in front of a ClickHouse HTTP port that can lose the answer to
// an INSERT: the request reaches the server (the rows land), then the client
// connection is cut when the response comes back: "insert succeeded but the
// response was lost", for real.
import * as net from 'net';

export class CutProxy {
  private server: net.Server | null = null;
  /** INSERT responses still to cut */
  cutInserts = 0;
  cut = 0;
  port = 0;

  constructor(readonly target: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      let doomed = false;
      client.on('data', (d: Buffer) => {
        if (this.cutInserts > 0 && d.includes('INSERT')) {
          this.cutInserts--;
          doomed = true;
        }
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (doomed) {
          this.cut++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(d);
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
    });
  }
}
