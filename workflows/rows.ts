/**
 * Users' rows packed as one string: a line per user, its values tab-separated in the step's
 * field order, an empty value where the user has none. A backlog held as one string per signal
 * costs the worker a fraction of what an array and a string per user did (memory, garbage, and
 * JSON work at every hop), for the same bytes in history. A value's `\`, tab and newline are
 * escaped as `\\`, `\t` and `\n` (hashes never have them; plain names and ad ids might).
 *
 * Histories from before carry `Row[]`: every reader takes both (`Rows`).
 */
import type { Row } from './types.js';

/** Rows as one string (see above); `''` is no rows. */
export type PackedRows = string;
/** What signals, Batch inputs and activity inputs carry: packed, or arrays in older histories. */
export type Rows = PackedRows | Row[];

const NEEDS_ESCAPE = /[\\\t\n]/;
const ESCAPED = /\\([\\tn])/g;
const UNESCAPED: Record<string, string> = { '\\': '\\', t: '\t', n: '\n' };

function escapeValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n') : v;
}

function unescapeValue(v: string): string | null {
  if (v === '') return null;
  return v.includes('\\') ? v.replace(ESCAPED, (_, c: string) => UNESCAPED[c]!) : v;
}

export function packRows(rows: readonly Row[]): PackedRows {
  return rows.map((row) => row.map((v) => (v === null ? '' : escapeValue(v))).join('\t')).join('\n');
}

export function unpackRows(text: PackedRows): Row[] {
  if (text === '') return [];
  return text.split('\n').map((line) => line.split('\t').map(unescapeValue));
}

/** Packs arrays from an older history; passes packed rows through. */
export function packed(rows: Rows): PackedRows {
  return typeof rows === 'string' ? rows : packRows(rows);
}

/** The rows as arrays, the way partner adapters take them. */
export function rowArrays(rows: Rows): Row[] {
  return typeof rows === 'string' ? unpackRows(rows) : rows;
}

export function countRows(rows: Rows): number {
  if (typeof rows !== 'string') return rows.length;
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

/**
 * The row `text[start, end)` as JSON would size it (`rowBytes` in state.ts, to the byte: the
 * step's batches are cut by it, and must be cut as they were before rows were packed).
 */
export function packedRowBytes(text: PackedRows, start: number, end: number): number {
  let bytes = 3; // brackets and the comma between rows
  let valueStart = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 9 /* tab */) {
      bytes += valueStart ? 5 : 2; // null, or the closing quote; and the comma
      valueStart = true;
      continue;
    }
    if (valueStart) {
      bytes += 1; // opening quote
      valueStart = false;
    }
    if (c === 92 /* \ */) i++; // an escape is one char of the value
    bytes += c > 0x7f ? 3 : 1;
  }
  return bytes + (valueStart ? 4 : 1);
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
