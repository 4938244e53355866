// proto/tcplens.proto NativeBatch, loaded with protobufjs at first use (the
// library too: a run that never spools never loads it; src/cli/main.ts says why).
import * as path from 'path';
import type * as protobuf from 'protobufjs';

type Protobuf = typeof import('protobufjs');
let lib: Protobuf | null = null;
const pb = (): Protobuf => (lib ??= require('protobufjs') as Protobuf);

export interface NativeBatchRecord {
  seq: bigint;
  table: string;
  rows: number;
  columns: string[];
  native: Uint8Array;
  batchId: bigint;
  minTs: number;
  maxTs: number;
  maybeLanded: boolean;
  createdNs: bigint;
  /** target database ('' = the writer's current one) */
  database?: string;
}

export const PROTO_FILE = path.join(__dirname, '..', '..', '..', '..', 'proto', 'tcplens.proto');

let type: protobuf.Type | null = null;
function nativeBatchType(): protobuf.Type {
  type ??= pb().loadSync(PROTO_FILE).lookupType('tcplens.NativeBatch');
  return type;
}

const toLong = (v: bigint): protobuf.Long => pb().util.LongBits.from(v.toString()).toLong(true) as protobuf.Long;
const fromLong = (v: unknown): bigint => (typeof v === 'number' ? BigInt(v) : BigInt((v as protobuf.Long).toString()));

/** varint length + message */
export function encodeRecord(r: NativeBatchRecord): Uint8Array {
  const t = nativeBatchType();
  return t.encodeDelimited(t.fromObject({ ...fieldsOf(r), native: r.native })).finish();
}

/** encodeRecord with the block given as the staged parts, as buffers to
 * write one after the other: the parts are not copied (a spooled batch of a
 * burst costs no concatenated block and no encoded copy of it). The message
 * is its other fields, then field 5 (native) written by hand. */
export function encodeRecordParts(r: NativeBatchRecord, parts: readonly Uint8Array[]): Uint8Array[] {
  const t = nativeBatchType();
  const body = t.encode(t.fromObject(fieldsOf(r))).finish();
  const n = parts.reduce((a, p) => a + p.length, 0);
  const head = pb()
    .Writer.create()
    .uint32((5 << 3) | 2)
    .uint32(n)
    .finish();
  const prefix = pb()
    .Writer.create()
    .uint32(body.length + head.length + n)
    .finish();
  return [prefix, body, head, ...parts];
}

const fieldsOf = (r: NativeBatchRecord): Record<string, unknown> => ({
  seq: toLong(r.seq),
  table: r.table,
  rows: r.rows,
  columns: r.columns,
  batchId: toLong(r.batchId),
  minTs: r.minTs,
  maxTs: r.maxTs,
  maybeLanded: r.maybeLanded,
  createdNs: toLong(r.createdNs),
  database: r.database ?? '',
});

/** Every complete record of a length-delimited stream; `torn` = trailing bytes of a cut-off record. */
export function decodeRecords(buf: Uint8Array): { records: NativeBatchRecord[]; torn: number } {
  const t = nativeBatchType();
  const reader = pb().Reader.create(buf);
  const records: NativeBatchRecord[] = [];
  let last = 0;
  while (reader.pos < reader.len) {
    try {
      const m = t.decodeDelimited(reader) as unknown as Record<string, unknown>;
      records.push({
        seq: fromLong(m['seq'] ?? 0),
        table: String(m['table'] ?? ''),
        rows: Number(m['rows'] ?? 0),
        columns: Array.isArray(m['columns']) ? (m['columns'] as unknown[]).map(String) : [],
        // an absent bytes field decodes as protobufjs's default, a plain []
        native: m['native'] instanceof Uint8Array ? m['native'] : new Uint8Array(0),
        batchId: fromLong(m['batchId'] ?? 0),
        minTs: Number(m['minTs'] ?? 0),
        maxTs: Number(m['maxTs'] ?? 0),
        maybeLanded: Boolean(m['maybeLanded']),
        createdNs: fromLong(m['createdNs'] ?? 0),
        database: String(m['database'] ?? ''),
      });
      last = reader.pos;
    } catch {
      break; // a record cut short by a crash mid-write
    }
  }
  return { records, torn: buf.length - last };
}
