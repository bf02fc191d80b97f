/**
 * Answers kept for a moment, per key, and shared by every caller asking meanwhile (one question
 * in flight per key). Partner calls read their connection's token by query: under load that
 * query waits behind the workflows' own work, once for every request of a batch.
 */
export class RecentAnswers<T> {
  private readonly entries = new Map<string, { at: number; answer: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The recent answer for `key` if it passes `usable`, else a new one from `ask`. */
  async get(key: string, ask: () => Promise<T>, usable: (answer: T) => boolean = () => true): Promise<T> {
    const kept = this.entries.get(key);
    if (kept && this.now() - kept.at < this.ttlMs) {
      const answer = await kept.answer.catch(() => undefined);
      if (answer !== undefined && usable(answer)) return answer;
    }
    return this.askAnew(key, ask);
  }

  private askAnew(key: string, ask: () => Promise<T>): Promise<T> {
    const answer = ask();
    const entry = { at: this.now(), answer };
    this.entries.delete(key); // re-inserted last: the oldest keys go first when there are too many
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    // A failed question is not kept: the next caller asks again.
    answer.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return answer;
  }
}
