// What a column is, for every view's generated layout (src/layout/*_columns.ts).
import type { ColumnType } from '../native/addon';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** tcp_info members: the end offset in struct tcp_info (present iff tcpi_len >= tcpiEnd); 0 otherwise */
  readonly tcpiEnd: number;
}

/** [type, ...names] runs, or [type, name, tcpiEnd] for a tcp_info member. */
export function columnSpecs(runs: ReadonlyArray<readonly [ColumnType, ...Array<string | number>]>): ColumnSpec[] {
  return runs.flatMap(([type, ...rest]) =>
    typeof rest[1] === 'number'
      ? [{ name: rest[0] as string, type, tcpiEnd: rest[1] }]
      : (rest as string[]).map((name) => ({ name, type, tcpiEnd: 0 })),
  );
}
