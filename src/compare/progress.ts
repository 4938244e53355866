// A one-line progress bar on stderr, only when stderr is a terminal.
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(fraction: number, text: string): void; done(): void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  const width = 30;
  let shown = false;
  return {
    update(fraction, text) {
      const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      stream.write(
        `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${text}`.slice(
          0,
          (stream.columns || 100) - 1,
        ) + '\x1b[K',
      );
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
