// SQL literals written by tcplens itself from typed values. A string becomes
// a quoted ClickHouse literal holding printable ASCII only: the quote and the
// backslash are escaped, every other byte outside 0x20..0x7e (and every byte
// of a multi-byte UTF-8 character) is written as \xHH. Whatever the text, the
// literal ends at the quote we close it with.
import type { Typed } from './params';

export function stringLiteral(s: string): string {
  let out = "'";
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x27) out += "\\'";
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${out}'`;
}

/** A 16-byte address as an expression of our own making: hex digits only. */
export const addressLiteral = (b: Buffer): string => `toFixedString(unhex('${b.toString('hex')}'), 16)`;

/** A typed value as a literal (18.16: no server-side parameters); a UInt64 is its decimal digits. */
export function literal(v: Typed & { type: 'UInt64' | 'String' }): string {
  switch (v.type) {
    case 'UInt64':
      return BigInt.asUintN(64, v.value).toString();
    case 'String':
      return stringLiteral(v.value);
  }
}

/** Text for one line of a terminal: control characters (C0 and DEL) as \xHH. */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}
