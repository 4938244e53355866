// Column specs read from the C headers (native/*_columns.h X-macro tables):
// the contract the events and samples views fill, for tests of the sinks.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { TYPE_WIDTH, type ColumnSpec } from '../../src/layout/batch';
import type { ColumnType } from '../../src/native/addon';

const NATIVE = path.join(__dirname, '..', '..', '..', 'native');

/** X(name, TYPE) entries of macro `macro` in native/<file>, in order. */
export function columnsFromHeader(file: string, macro: string): ColumnSpec[] {
  const text = fs.readFileSync(path.join(NATIVE, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const start = text.indexOf(`#define ${macro}(X)`);
  if (start < 0) throw new Error(`${macro} not in ${file}`);
  const lines: string[] = [];
  for (const line of text.slice(start).split('\n')) {
    lines.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  return [...lines.join('\n').matchAll(/X\((\w+),\s*(\w+)\)/g)].map((m) => ({
    name: m[1]!,
    type: m[2]!.toLowerCase() as ColumnType,
    tcpiEnd: 0,
  }));
}

/** A layout's rule: unique column names, largest type first (so every column stays aligned). */
export function expectUniqueLargestFirst(cols: readonly ColumnSpec[]): void {
  const names = cols.map((c) => c.name);
  expect(new Set(names).size, 'unique names').to.equal(names.length);
  const widths = cols.map((c) => TYPE_WIDTH[c.type]);
  expect(widths, 'largest type first').to.deep.equal([...widths].sort((a, b) => b - a));
}
