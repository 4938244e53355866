// Reading the tables the bench/*/run.sh scripts print.
import { expect } from 'chai';

/** The cells of a table row that starts with `label`. */
export function rowCells(out: string, label: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(label));
  expect(line, `row "${label}" in:\n${out}`).to.be.a('string');
  return line!.slice(label.length).trim().split(/\s+/);
}
