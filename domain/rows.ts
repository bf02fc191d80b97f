/**
 * Users' rows packed as one string: a line per user, its values tab-separated in the step's
 * field order, an empty value where the user has none. A SHA-256 hex value (64 chars) travels
 * as `#` and its 43 base64url chars. A backlog held as one string per signal costs the worker a
 * fraction of what an array and a string per user did (memory, garbage, and JSON work at every
 * hop), and hashes cost a third fewer bytes in history. A value's `\`, tab and newline, and a
 * leading `#`, are escaped as `\\`, `\t`, `\n` and `\#` (hashes never have them; plain names
 * and ad ids might). Pure JS: workflows pack too.
 */
import type { Row } from './types.js';

/** Rows as one string (see above); `''` is no rows. What signals, Batch inputs and activity inputs carry. */
export type PackedRows = string;

const HASH_HEX = /^[0-9a-f]{64}$/;
const HASH_MARK = '#';
const NEEDS_ESCAPE = /[\\\t\n]|^#/;
const ESCAPED = /\\([\\tn#])/g;
const UNESCAPED: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', '#': '#' };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';
const B64_VALUE = new Uint8Array(128);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < HEX.length; i++) HEX_VALUE[HEX.charCodeAt(i)] = i;
const B64_CODE = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const HEX_CODE = Uint8Array.from(HEX, (c) => c.charCodeAt(0));
/**
 * The char codes of a hash being converted, made one string in one call: a string built by
 * `+=` stays a rope of small pieces, several times larger, and an activity holds 10,000 of them
 * while it builds its partner request.
 */
const hexCodes: number[] = new Array<number>(64).fill(0);
const base64Codes: number[] = new Array<number>(43).fill(0);

/** 64 lowercase hex chars (256 bits) as 43 base64url chars: 21 × 12 bits, then the last 4. */
function hexToBase64(hex: string): string {
  let o = 0;
  for (let i = 0; i < 63; i += 3) {
    const n =
      (HEX_VALUE[hex.charCodeAt(i)]! << 8) |
      (HEX_VALUE[hex.charCodeAt(i + 1)]! << 4) |
      HEX_VALUE[hex.charCodeAt(i + 2)]!;
    base64Codes[o++] = B64_CODE[n >> 6]!;
    base64Codes[o++] = B64_CODE[n & 63]!;
  }
  base64Codes[o] = B64_CODE[HEX_VALUE[hex.charCodeAt(63)]! << 2]!;
  return String.fromCharCode.apply(null, base64Codes);
}

function base64ToHex(b: string, from: number): string {
  let o = 0;
  for (let i = from; i < from + 42; i += 2) {
    const n = (B64_VALUE[b.charCodeAt(i)]! << 6) | B64_VALUE[b.charCodeAt(i + 1)]!;
    hexCodes[o++] = HEX_CODE[n >> 8]!;
    hexCodes[o++] = HEX_CODE[(n >> 4) & 15]!;
    hexCodes[o++] = HEX_CODE[n & 15]!;
  }
  hexCodes[o] = HEX_CODE[B64_VALUE[b.charCodeAt(from + 42)]! >> 2]!;
  return String.fromCharCode.apply(null, hexCodes);
}

function packValue(v: string | null): string {
  if (v === null) return '';
  if (v.length === 64 && HASH_HEX.test(v)) return HASH_MARK + hexToBase64(v);
  return NEEDS_ESCAPE.test(v)
    ? v.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n').replace(/^#/, '\\#')
    : v;
}

function unpackValue(v: string): string | null {
  if (v === '') return null;
  if (v.charCodeAt(0) === 35 /* # */) return base64ToHex(v, 1);
  return v.includes('\\') ? v.replace(ESCAPED, (_, c: string) => UNESCAPED[c]!) : v;
}

/** One user's line. */
export function packRow(row: Row): string {
  return row.map(packValue).join('\t');
}

export function packRows(rows: readonly Row[]): PackedRows {
  return rows.map(packRow).join('\n');
}

export function unpackRows(text: PackedRows): Row[] {
  if (text === '') return [];
  return text.split('\n').map((line) => line.split('\t').map(unpackValue));
}

export function countRows(rows: PackedRows): number {
  if (rows === '') return 0;
  let n = 1;
  for (let i = rows.indexOf('\n'); i >= 0; i = rows.indexOf('\n', i + 1)) n++;
  return n;
}

/** Where the row starting at `from` ends: its newline, or the end of the string. */
export function endOfRow(text: PackedRows, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

/** Control chars JSON writes as two: \b \t \f \r (a newline never stands raw in a line). */
const SHORT_ESCAPES = [8, 9, 12, 13];

/**
 * The row `text[start, end)` as it weighs inside a payload: its UTF-8 size in a JSON string,
 * counted generously, with the newline after it.
 */
export function packedLineBytes(text: PackedRows, start: number, end: number): number {
  let bytes = 2; // the newline, escaped
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff)
      bytes += 6; // a lone surrogate is escaped (\uDXXX); a pair is 4 bytes
    else if (c > 0x7f) bytes += 3;
    else if (c >= 0x20)
      bytes += c === 0x22 || c === 0x5c ? 2 : 1; // \" \\
    else bytes += SHORT_ESCAPES.includes(c) ? 2 : 6; // \b \t \f \r, or \u00XX
  }
  return bytes;
}

/** The first `n` rows and the rest. */
export function splitRows(text: PackedRows, n: number): [PackedRows, PackedRows] {
  let end = -1;
  for (let k = 0; k < n; k++) {
    end = text.indexOf('\n', end + 1);
    if (end < 0) return [text, ''];
  }
  return n <= 0 ? ['', text] : [text.slice(0, end), text.slice(end + 1)];
}

/** Packed blocks as one (each holds at least one row). */
export function joinRows(blocks: PackedRows[]): PackedRows {
  return blocks.filter((b) => b !== '').join('\n');
}
