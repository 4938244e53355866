// Command lines put before `node ...` to run tcplens with less than root has,
// for real: fewer capabilities, or a private mount namespace set up by a script.

/** `capsh --drop=CAPS -- -c 'exec "$@"'`: the command without those capabilities. */
export const dropCaps = (caps: string): string[] => ['capsh', `--drop=${caps}`, '--', '-c', 'exec "$@"', 'tcplens'];

/** The command in a private mount namespace after `script` ran there (the host's mounts untouched). */
export const inMountNs = (script: string): string[] => [
  'unshare',
  '--mount',
  '--propagation',
  'private',
  'sh',
  '-c',
  `${script} && exec "$@"`,
  'tcplens',
];
