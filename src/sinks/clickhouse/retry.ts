// Exponential backoff with jitter, and which insert failures may have landed.
import { clickhouseLib } from './client_lib';
import { tlsFailure } from './tls';

export class Backoff {
  private attempt = 0;
  constructor(
    readonly initialMs = 200,
    readonly maxMs = 10_000,
    readonly factor = 2,
  ) {}
  /** the next delay: initial * factor^n, capped, +-20% jitter (no herd of sidecars) */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt++);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
  reset(): void {
    this.attempt = 0;
  }
}

const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** the connection broke or never answered: the server may be fine, the path is not */
const NO_ANSWER = new Set([...NEVER_SENT, 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** ClickHouse cannot be reached (no server, no route, no answer), as opposed
 * to a server that answered and refused: one check, by the error's code (the
 * client's own request timeout carries none: it is known by its message). */
export function unreachable(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code && NO_ANSWER.has(err.code)) return true;
  return !serverRefused(e) && /^Timeout error/.test(String(err?.message ?? ''));
}

/** The server answered with an exception (it refused the query). The client
 * parses modern servers' errors into ClickHouseError; 18.16's older text
 * ("Code: 16, e.displayText() = ...") comes back as a plain Error. */
export function serverRefused(e: unknown): boolean {
  return e instanceof clickhouseLib().ClickHouseError || /^Code: \d+[.,]/.test(String((e as Error | undefined)?.message ?? ''));
}

/** True when the insert may have been applied although we saw an error: the
 * request went out and no answer came back (reset, timeout). A server
 * exception or a refused connection means it was not applied. */
export function maybeLanded(e: unknown): boolean {
  if (serverRefused(e) || tlsFailure(e, '') !== null) return false; // refused before the request went out
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return !(code && NEVER_SENT.has(code));
}

/** interruptible sleep: resolves early when wake() is called */
export class Sleeper {
  private wakeFn: (() => void) | null = null;
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeFn = null;
        resolve();
      }, ms);
      this.wakeFn = () => {
        clearTimeout(t);
        this.wakeFn = null;
        resolve();
      };
    });
  }
  wake(): void {
    this.wakeFn?.();
  }
}
