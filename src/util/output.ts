// Buffered stdout: large outputs (100k sockets as JSON is ~200 MB) go out in
// ~1 MB writes that wait for the pipe to drain; a closed pipe (| head) ends
// the process quietly instead of with an EPIPE stack trace.
import type { Writable } from 'stream';

const CHUNK = 1 << 20;

export class Output {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly out: Writable = process.stdout) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        this.closed = true;
        process.exit(0);
      }
      throw e;
    });
  }

  /** Queues text; resolves once it is safe to write more. */
  async write(text: string): Promise<void> {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0 || this.closed) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.out.write(text)) {
      await new Promise<void>((resolve) => this.out.once('drain', resolve));
    }
  }
}
