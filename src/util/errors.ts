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
