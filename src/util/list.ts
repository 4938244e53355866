// Comma-separated flag values ("a, b,,c"): the one way every flag splits them.

/** The non-empty, trimmed items of a comma-separated list (lower-cased when asked). */
export function listItems(text: string, lower = false): string[] {
  const items = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return lower ? items.map((s) => s.toLowerCase()) : items;
}
