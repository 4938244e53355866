// Typed errors: every error a user can see carries a stable code.
export type ErrorCode =
  | 'EUSAGE' // bad flag or argument
  | 'ENETNS' // a namespace selector that names nothing
  | 'ENOADDON' // native addon missing
  | 'EPREFLIGHT' // a fatal preflight check
  | 'EPOLL' // the poll view cannot run at all
  | 'ECLICKHOUSE' // ClickHouse config, server or schema problem
  | 'EEVENTS' // the events view cannot run (not built, no capability, load failed)
  | 'ESAMPLES'; // the samples view cannot run

export class TcplensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TcplensError';
  }
}

export const usage = (msg: string): TcplensError => new TcplensError('EUSAGE', msg);

/** Runs start(); a TcplensError of `code` (the view cannot run here) becomes
 * one line on stderr and false, for the command to exit 1. Others propagate. */
export function startOrSay(start: () => void, code: ErrorCode): boolean {
  try {
    start();
    return true;
  } catch (e) {
    if (!(e instanceof TcplensError && e.code === code)) throw e;
    process.stderr.write(`tcplens: ${e.message}\n`);
    return false;
  }
}
