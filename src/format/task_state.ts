// Task states as ps prints them, and the names of the syscalls a sampled
// thread is most often found in (x86-64 numbers; others print as numbers).

/** task->__state -> one letter, like ps's STAT column. */
export function taskStateLetter(state: number): string {
  if (state === 0) return 'R';
  if ((state & 0x402) === 0x402) return 'I'; // TASK_IDLE: idle kernel thread
  if (state & 0x2) return 'D'; // TASK_UNINTERRUPTIBLE (and TASK_KILLABLE)
  if (state & 0x1) return 'S'; // TASK_INTERRUPTIBLE
  if (state & 0x4) return 'T'; // __TASK_STOPPED
  if (state & 0x8) return 't'; // __TASK_TRACED
  if (state & 0x20) return 'Z'; // EXIT_ZOMBIE
  if (state & 0x10) return 'X'; // EXIT_DEAD
  return '?';
}

const X86_64: Record<number, string> = {
  0: 'read',
  1: 'write',
  7: 'poll',
  17: 'pread64',
  18: 'pwrite64',
  19: 'readv',
  20: 'writev',
  23: 'select',
  34: 'pause',
  35: 'nanosleep',
  40: 'sendfile',
  42: 'connect',
  43: 'accept',
  44: 'sendto',
  45: 'recvfrom',
  46: 'sendmsg',
  47: 'recvmsg',
  48: 'shutdown',
  61: 'wait4',
  72: 'fcntl',
  74: 'fsync',
  202: 'futex',
  230: 'clock_nanosleep',
  232: 'epoll_wait',
  247: 'waitid',
  270: 'pselect6',
  271: 'ppoll',
  275: 'splice',
  281: 'epoll_pwait',
  288: 'accept4',
  299: 'recvmmsg',
  307: 'sendmmsg',
  441: 'epoll_pwait2',
};

const TABLE: Record<number, string> = process.arch === 'x64' ? X86_64 : {};

/** A syscall's name where we know it, else its number. */
export function syscallName(nr: number): string | number {
  return TABLE[nr] ?? nr;
}
