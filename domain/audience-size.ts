/**
 * Whether a step's audience is below its partner's minimum size (LinkedIn 300, Pinterest 100,
 * TikTok 1,000 matched members): a warning on the step, never enforced. Judged on the users the
 * step has synced until the partner's own size figure for the audience is known, then on that.
 */
import type { Action } from './types.js';

export interface AudienceSizeFacts {
  /** The partner as people see it (its label). */
  partner: string;
  /** The partner's published minimum; undefined where it publishes none. */
  minimum: number | undefined;
  action: Action;
  /** Users the step has synced into the audience. */
  synced: number;
  /** The partner's own figure for the audience, once it has reported one (null or absent: not yet). */
  partnerSize?: number | null;
}

export interface StepWarning {
  code: string;
  message: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The `audience_below_minimum_size` warning, or null: a remove step, no minimum, or big enough. */
export function minimumSizeWarning(f: AudienceSizeFacts): StepWarning | null {
  if (f.minimum === undefined || f.action !== 'add') return null;
  const measured = typeof f.partnerSize === 'number';
  const size = measured ? f.partnerSize! : f.synced;
  if (size >= f.minimum) return null;
  const what = measured
    ? `${f.partner} counts ${count(size)} in this audience`
    : `this step has synced ${count(size)} users so far`;
  return {
    code: 'audience_below_minimum_size',
    message: `${f.partner} needs at least ${count(f.minimum)} matched members to use an audience; ${what}.`,
  };
}
