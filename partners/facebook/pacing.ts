/**
 * Facebook pacing (docs/partners.md): every answer carries `X-Business-Use-Case-Usage`; above 75 %
 * of any quota the adapter spaces its next calls on that ad account, more the nearer the quota
 * is to full, instead of running into the throttle.
 */
import type { Answer } from '../answers.js';
import { facebookUsage } from './classify.js';

export const PACE_ABOVE_PERCENT = 75;
/** The spacing at 100 %: long enough for a per-second quota to empty, short next to an activity's timeout. */
export const MAX_PACE_MS = 1_000;

/** How long to hold the next call after an answer reporting `percent` usage of the busiest quota. */
export function paceDelayMs(percent: number): number {
  if (percent <= PACE_ABOVE_PERCENT) return 0;
  return Math.round(((Math.min(percent, 100) - PACE_ABOVE_PERCENT) / (100 - PACE_ABOVE_PERCENT)) * MAX_PACE_MS);
}

/** Per ad account: when its next call may go, from the last answer's usage (this process's calls). */
export class Pacer {
  private readonly notBefore = new Map<string, number>();

  async wait(adAccountId: string): Promise<void> {
    const delay = (this.notBefore.get(adAccountId) ?? 0) - Date.now();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }

  record(adAccountId: string, answer: Answer): Answer {
    const delay = paceDelayMs(facebookUsage(answer).maxPercent);
    if (delay > 0) this.notBefore.set(adAccountId, Date.now() + delay);
    else this.notBefore.delete(adAccountId);
    return answer;
  }

  /** One call on `adAccountId`, paced. */
  async call(adAccountId: string, send: () => Promise<Answer>): Promise<Answer> {
    await this.wait(adAccountId);
    return this.record(adAccountId, await send());
  }
}
