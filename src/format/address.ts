// Raw inet_diag addresses (16 bytes, network order) to text.
const AF_INET = 2;

function ipv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text: lowercase, longest zero run (>= 2 groups) as "::", v4-mapped as ::ffff:a.b.c.d */
function ipv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4(b, 12)}`;
  }
  let bestAt = -1,
    bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  const head = hex.slice(0, bestAt).join(':');
  const tail = hex.slice(bestAt + bestLen).join(':');
  return `${head}::${tail}`;
}

export function formatAddress(family: number, bytes: Uint8Array): string {
  return family === AF_INET ? ipv4(bytes, 0) : ipv6(bytes);
}

/** "addr:port", with brackets around IPv6 as ss prints it. */
export function formatEndpoint(family: number, bytes: Uint8Array, port: number): string {
  const a = formatAddress(family, bytes);
  return family === AF_INET ? `${a}:${port}` : `[${a}]:${port}`;
}
