/**
 * How long a slot takes to come back from the rate limiter, as this process has seen it lately
 * (pure). A caller asks for a slot no earlier than now + `lead()`: a slot granted for the moment
 * of asking has already passed when the answer arrives, and a loaded machine's round trip
 * (0.1–0.5 s) is far beyond the lateness a sender is allowed, so every such slot was spent and
 * asked for again, three to five times a request.
 */
export class RoundTrips {
  private readonly samples: number[] = [];

  constructor(
    /** Recent round trips kept. */
    private readonly size = 20,
    /** The lead covers this share of them: a few callers wait a little, few arrive late. */
    private readonly quantile = 0.9,
    private readonly maxLeadMs = 1_000,
  ) {}

  add(ms: number): void {
    this.samples.push(Math.max(0, ms));
    if (this.samples.length > this.size) this.samples.shift();
  }

  /**
   * How far ahead of now to ask for a slot (0 until a round trip has been seen): never less
   * than the latest round trip, so a machine that just got busy is followed at once (a slot
   * found late is asked for again with that lead, not with one the calm spell before set).
   */
  lead(): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = Math.min(sorted.length - 1, Math.ceil(this.quantile * sorted.length) - 1);
    return Math.min(this.maxLeadMs, Math.max(sorted[at]!, this.samples.at(-1)!));
  }
}
