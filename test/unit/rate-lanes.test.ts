import { describe, expect, it } from 'vitest';
import { HANDOVER_MS, LEASE_MS, emptyBook, leaseLanes, type LaneRequest } from '../../domain/rate-lanes.js';

const ask = (holder: string, now: number, over: Partial<LaneRequest> = {}): LaneRequest => ({
  holder,
  now,
  limit: 10,
  windowMs: 1_000,
  want: 0,
  held: 0,
  returned: [],
  ...over,
});

describe('lane book', () => {
  it('hands a new key its limit of lanes free now, and no more', () => {
    const book = emptyBook();
    const g = leaseLanes(book, ask('a', 5_000, { want: 12 }));
    expect(g.granted).toEqual(Array(10).fill(0));
    expect(g).toMatchObject({ holding: 10, until: 5_000 + LEASE_MS, yield: 0 });
    expect(leaseLanes(book, ask('b', 5_001, { want: 1 })).granted).toEqual([]);
  });

  it('passes a returned lane on with the time it is free (plus the handover allowance for clocks)', () => {
    const book = emptyBook();
    leaseLanes(book, ask('a', 5_000, { want: 10 }));
    leaseLanes(book, ask('a', 5_100, { held: 9, returned: [6_100] }));
    expect(leaseLanes(book, ask('b', 5_200, { want: 2 })).granted).toEqual([6_100 + HANDOVER_MS]);
  });

  it('frees the lanes of a lapsed lease a window after its end', () => {
    const book = emptyBook();
    leaseLanes(book, ask('a', 5_000, { want: 10 }));
    const lapsed = 5_000 + LEASE_MS;
    expect(leaseLanes(book, ask('b', lapsed, { want: 1 })).granted).toEqual([]);
    const g = leaseLanes(book, ask('b', lapsed + 1, { want: 10 }));
    expect(g.granted).toEqual(Array(10).fill(lapsed + 1_000 + HANDOVER_MS));
    // The lapsed holder is told it holds nothing; what it gives back is not counted twice.
    expect(leaseLanes(book, ask('a', lapsed + 2, { held: 4, returned: [lapsed] })).holding).toBe(0);
    expect(leaseLanes(book, ask('c', lapsed + 3, { want: 1 })).granted).toEqual([]);
  });

  it('frees, a window on, lanes granted in an answer the holder never got', () => {
    const book = emptyBook();
    leaseLanes(book, ask('a', 5_000, { want: 3 })); // lost on its way back
    expect(leaseLanes(book, ask('a', 5_500, { held: 0 })).holding).toBe(0);
    const g = leaseLanes(book, ask('b', 5_600, { want: 10 }));
    expect(g.granted.filter((t) => t === 0)).toHaveLength(7);
    expect(g.granted.filter((t) => t === 6_500)).toHaveLength(3);
  });

  it('keeps each holder to a fair share while another is short, asking the one above it to give lanes back', () => {
    const book = emptyBook();
    leaseLanes(book, ask('a', 5_000, { want: 10 }));
    const b = leaseLanes(book, ask('b', 5_010, { want: 6 }));
    expect(b).toMatchObject({ granted: [], short: true });
    const a = leaseLanes(book, ask('a', 5_020, { held: 10, want: 4 }));
    expect(a).toMatchObject({ granted: [], yield: 5, short: false });
    leaseLanes(book, ask('a', 5_030, { held: 5, returned: [6_000, 6_010, 6_020, 6_030, 6_040] }));
    const again = leaseLanes(book, ask('b', 5_040, { want: 6 }));
    expect(again.granted).toHaveLength(5);
    expect(again.holding).toBe(5);
  });

  it('passes a lane around when the limit is below the number of holders wanting one', () => {
    const book = emptyBook();
    leaseLanes(book, ask('a', 5_000, { limit: 1, want: 1 }));
    expect(leaseLanes(book, ask('b', 5_010, { limit: 1, want: 1 })).granted).toEqual([]);
    expect(leaseLanes(book, ask('a', 5_020, { limit: 1, held: 1, want: 1 })).yield).toBe(1);
  });

  it('removes free lanes when the limit is lowered, and adds lanes only a window on when it is raised', () => {
    const book = emptyBook();
    leaseLanes(book, ask('a', 5_000, { limit: 2 }));
    expect(book.total).toBe(2);
    expect(leaseLanes(book, ask('a', 5_100, { limit: 4, want: 4 })).granted).toEqual([0, 0, 6_100, 6_100]);
    leaseLanes(book, ask('a', 5_200, { limit: 1, held: 1, returned: [6_200, 6_200, 6_200] }));
    expect(book.total).toBe(1);
  });
});
