// What the TypeScript benches (bench/*/*.ts) share: their command line and the
// median they quote. (bench/lib.js is the node scripts' counterpart.)

/** `--name N` as a number; dflt when --name is absent. */
export const numArg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

/** The text after `--name` ('' when nothing follows); undefined when --name is absent. */
export const textArg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? '') : undefined;
};

/** --smoke: the short run the tests keep working. */
export const smoke = process.argv.includes('--smoke');

/** The median of xs: the upper of the middle two for an even count. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
