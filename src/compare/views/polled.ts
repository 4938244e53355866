// Views that poll at each --intervals (a poller per interval, a coverage
// model): the inet_diag poll, the iterator poll and the host pass. Apart from
// the drivers so the parent process reads it without loading them.
export const isPolled = (v: string): boolean => v === 'poll' || v === 'iter' || v === 'host';
