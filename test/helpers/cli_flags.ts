// Command lines for the CLI in tests, written as objects.

/** `{ netns: 'x', listenInterval: 'every' }` as command-line flags, in order: `['--netns', 'x', '--listen-interval', 'every']`. */
export function flags(opts: Record<string, string | number>): string[] {
  return Object.entries(opts).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)]);
}
