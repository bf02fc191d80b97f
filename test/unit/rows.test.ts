import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countRows, joinRows, packRows, packedLineBytes, splitRows, unpackRows } from '../../domain/rows.js';
import { entryRows } from '../../workflows/state.js';
import type { Row } from '../../domain/types.js';

/** Rows as the API makes them: 1–4 values, not all missing, any characters in plain values. */
const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
const value = fc.oneof(
  fc.constant(null),
  hex,
  fc.string({ unit: fc.constantFrom('a', '\\', '\t', '\n', 't', 'n', ' ', '#'), minLength: 1 }),
  fc.string({ unit: 'binary', minLength: 1 }),
);
const row = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.array(value, { minLength: n, maxLength: n }))
  .filter((r): r is Row => r.some((v) => v !== null && v !== ''))
  .map((r) => r.map((v) => (v === '' ? null : v)));
const rows = fc.array(row, { maxLength: 30 });

describe('packed rows', () => {
  it('unpack to the rows packed, whatever the characters in them', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        expect(unpackRows(packRows(rs))).toEqual(rs);
        expect(countRows(packRows(rs))).toBe(rs.length);
      }),
    );
  });

  it('are counted and weighed line by line', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const packed = packRows(rs);
        const lines = rs.map((r) => packRows([r]));
        const bytes = lines.reduce((b, l) => b + packedLineBytes(l, 0, l.length), 0);
        expect(entryRows(packed)).toEqual({ rows: packed, count: rs.length, bytes });
      }),
    );
  });

  it('weigh a packed line as a JSON string holds it (generously for non-ASCII), newline included', () => {
    fc.assert(
      fc.property(row, (r) => {
        const line = packRows([r]);
        const inJson = Buffer.byteLength(JSON.stringify(`${line}\n`)) - 2;
        const ascii = [...line].every((c) => c.charCodeAt(0) < 0x80);
        if (ascii) expect(packedLineBytes(line, 0, line.length)).toBe(inJson);
        else expect(packedLineBytes(line, 0, line.length)).toBeGreaterThanOrEqual(inJson);
      }),
      { numRuns: 5_000 }, // control chars and lone surrogates are rare draws
    );
  });

  it('split after any number of rows and join back to the same rows', () => {
    fc.assert(
      fc.property(rows, fc.nat(40), (rs, n) => {
        const [head, tail] = splitRows(packRows(rs), n);
        expect(unpackRows(head)).toEqual(rs.slice(0, n));
        expect(unpackRows(tail)).toEqual(rs.slice(n));
        expect(unpackRows(joinRows([head, tail]))).toEqual(rs);
      }),
    );
  });

  it('escape what would break a line or a value, and nothing else', () => {
    expect(
      packRows([
        ['a\tb', 'c\\d'],
        ['e\nf', null],
        ['#1', 'x#'],
      ]),
    ).toBe('a\\tb\tc\\\\d\ne\\nf\t\n\\#1\tx#');
    expect(packRows([['Zoë', 'ab-12']])).toBe('Zoë\tab-12');
  });

  it('carry a SHA-256 hex as # and its base64url, a third shorter', () => {
    fc.assert(
      fc.property(hex, (h) => {
        const line = packRows([[h, 'x']]);
        expect(line).toBe(`#${Buffer.from(h, 'hex').toString('base64url')}\tx`);
        expect(unpackRows(line)).toEqual([[h, 'x']]);
      }),
    );
    expect(packRows([['AB'.repeat(32)]])).toBe('AB'.repeat(32)); // not lowercase hex: as it is
  });
});
