import { describe, expect, it } from 'vitest';
import { RecentAnswers } from '../../activities/recent-answers.js';

describe('RecentAnswers', () => {
  const counting = () => {
    let asked = 0;
    return { ask: (value: number) => () => Promise.resolve((asked++, value)), asked: () => asked };
  };

  it('shares one question among callers while its answer is fresh, then asks again', async () => {
    let now = 0;
    const answers = new RecentAnswers<number>(1_000, 10, () => now);
    const q = counting();
    const got = await Promise.all([1, 2, 3].map(() => answers.get('a', q.ask(7))));
    expect(got).toEqual([7, 7, 7]);
    expect(q.asked()).toBe(1);
    now = 999;
    await answers.get('a', q.ask(7));
    expect(q.asked()).toBe(1);
    now = 1_000;
    expect(await answers.get('a', q.ask(8))).toBe(8);
    expect(q.asked()).toBe(2);
  });

  it('asks again when the kept answer is not usable (a token older than the caller knows of)', async () => {
    const answers = new RecentAnswers<{ generation: number }>(1_000, 10, () => 0);
    await answers.get('a', () => Promise.resolve({ generation: 1 }));
    const newer = await answers.get(
      'a',
      () => Promise.resolve({ generation: 2 }),
      (c) => c.generation >= 2,
    );
    expect(newer.generation).toBe(2);
  });

  it('keeps no failed answer, and keys apart', async () => {
    const answers = new RecentAnswers<number>(1_000, 10, () => 0);
    await expect(answers.get('a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await answers.get('a', () => Promise.resolve(1))).toBe(1);
    expect(await answers.get('b', () => Promise.resolve(2))).toBe(2);
    expect(await answers.get('a', () => Promise.resolve(3))).toBe(1);
  });

  it('forgets the least recently asked key beyond its size', async () => {
    const answers = new RecentAnswers<number>(1_000, 2, () => 0);
    await answers.get('a', () => Promise.resolve(1));
    await answers.get('b', () => Promise.resolve(2));
    await answers.get('c', () => Promise.resolve(3));
    expect(await answers.get('a', () => Promise.resolve(10))).toBe(10);
    expect(await answers.get('c', () => Promise.resolve(30))).toBe(3);
  });
});
