/**
 * How long a slot takes to come back from the rate limiter, as this process has seen it lately
 * (pure). A caller tells the limiter (SlotRequest.roundTripMs): a slot for the moment of asking
 * has passed by the time its answer arrives, and a loaded machine's round trip (0.1–0.5 s) is
 * far beyond the lateness a sender is otherwise allowed, so every such slot was spent and asked
 * for again, three to five times a request.
 */
export class RoundTrips {
  private readonly samples: number[] = [];

  constructor(
    /** Recent round trips kept. */
    private readonly size = 20,
    /**
     * Never expected shorter: a calm spell's 10 ms would spend the first slots of a burst (its
     * round trips are 100–400 ms), and allowing for more costs a burst's first slots at most
     * this much of the limit.
     */
    private readonly minMs = 200,
    private readonly maxMs = 1_000,
  ) {}

  add(ms: number): void {
    this.samples.push(Math.max(0, ms));
    if (this.samples.length > this.size) this.samples.shift();
  }

  /**
   * The round trip to allow for: the longest of the recent ones, within bounds. Too long costs
   * nothing while the key is backlogged (its slots are ahead of the answer anyway) and a little
   * of the limit at the start of a burst; too short costs a slot asked for again.
   */
  expected(): number {
    return Math.min(this.maxMs, Math.max(this.minMs, ...this.samples));
  }
}
