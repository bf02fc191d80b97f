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
    private readonly maxMs = 1_000,
  ) {}

  add(ms: number): void {
    this.samples.push(Math.max(0, ms));
    if (this.samples.length > this.size) this.samples.shift();
  }

  /**
   * The round trip to allow for (0 until one has been seen): the longest of the recent ones, up
   * to a second. Too long makes an idle key's caller wait for its slot (a key whose limit cannot
   * bind: nothing); too short costs a slot asked for again, as at the start of a burst after a
   * calm spell; a floor against the latter would slow every gated call.
   */
  expected(): number {
    return Math.min(this.maxMs, Math.max(0, ...this.samples));
  }
}
