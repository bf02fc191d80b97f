import type { Metrics, StepDetail } from './types.js';

/**
 * The product's words for what the API says in codes. Each answer carries a tone so the page can
 * add an icon and a colour, but the words alone must say it all (never colour only).
 */
export type Tone = 'ok' | 'working' | 'attention' | 'neutral';

/** The product's metric names, in the product's order. */
export const METRICS: readonly { key: keyof Metrics; label: string }[] = [
  { key: 'entered', label: 'Entered' },
  { key: 'proceeded', label: 'Proceeded to Next Step' },
  { key: 'exited', label: 'Exited Canvas' },
  { key: 'synced', label: 'Users Synced' },
  { key: 'notSynced', label: 'Users Not Synced' },
  { key: 'pending', label: 'Users Pending' },
  { key: 'errored', label: 'Users Errored' },
];

/** Partner labels, as GET /v1/partners gives them (the registry's); an id stands in until they arrive. */
const partnerLabels = new Map<string, string>();

export function setPartnerLabels(partners: { id: string; label: string }[]): void {
  for (const p of partners) partnerLabels.set(p.id, p.label);
}

export function partnerName(partner: string): string {
  return partnerLabels.get(partner) ?? partner;
}

export interface StateWords {
  /** Fits in the step list. */
  short: string;
  /** Says what it means and, when something must be done, what. */
  long: string;
  tone: Tone;
}

const STEP_STATES: Record<string, StateWords> = {
  creating_audience: { short: 'Creating audience', long: 'Creating the audience on the partner', tone: 'working' },
  active: { short: 'Active', long: 'Active', tone: 'ok' },
  paused_invalid_token: {
    short: 'Paused: token invalid',
    long: 'Paused: the partner token is invalid — reconnect',
    tone: 'attention',
  },
  stopping: {
    short: 'Stopping',
    long: 'Stopping: sending the users still pending, taking no new ones',
    tone: 'working',
  },
  stopped: { short: 'Stopped', long: 'Stopped', tone: 'neutral' },
};

export function stepStateWords(state: string): StateWords {
  return STEP_STATES[state] ?? { short: state, long: state, tone: 'neutral' };
}

export interface StatusWords {
  label: string;
  tone: Tone;
  /** The partner must be reconnected before its steps can resume. */
  reconnect: boolean;
}

export function connectionStatusWords(status: string): StatusWords {
  switch (status) {
    case 'connected':
      return { label: 'Connected', tone: 'ok', reconnect: false };
    case 'invalid_token':
      return {
        label: 'Token invalid — reconnect this partner to resume its steps',
        tone: 'attention',
        reconnect: true,
      };
    case 'disconnected':
      return { label: 'Disconnected — reconnect this partner to resume its steps', tone: 'attention', reconnect: true };
    default:
      return { label: status, tone: 'neutral', reconnect: false };
  }
}

const REASONS: Record<string, string> = {
  missing_fields: "Missing fields: the user has none of the step's fields",
  no_consent: 'No consent: the user did not agree to ad tracking or sharing',
  token_invalid: 'Partner token invalid',
  audience_deleted: 'Audience deleted on the partner',
  rejected: 'Rejected by the partner',
  invalid_identifier: 'Identifier the partner does not accept',
  retries_exhausted: 'Not sent within 13 hours of retries',
};

/** A reason or error code in words; an unknown code is shown as it is. */
export function reasonWords(code: string): string {
  return REASONS[code] ?? code;
}

export interface ReasonRow {
  outcome: 'Not synced' | 'Errored';
  code: string;
  words: string;
  count: number;
}

/** The reasons with a count, Not Synced first, each group in the product's order (then any new code). */
export function reasonRows(reasons: StepDetail['reasons']): ReasonRow[] {
  const rows: ReasonRow[] = [];
  const add = (outcome: ReasonRow['outcome'], counts: Record<string, number | undefined>): void => {
    const order = Object.keys(REASONS);
    const codes = Object.keys(counts).sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
    for (const code of codes) {
      const count = counts[code] ?? 0;
      if (count > 0) rows.push({ outcome, code, words: reasonWords(code), count });
    }
  };
  add('Not synced', reasons.notSynced);
  add('Errored', reasons.errored);
  return rows;
}

function rank(order: string[], code: string): number {
  const i = order.indexOf(code);
  return i === -1 ? order.length : i;
}

export function actionWords(action: string): string {
  if (action === 'add') return 'Add users to the audience';
  if (action === 'remove') return 'Remove users from the audience';
  return action;
}

/** The audience by name and id; Pinterest has no id until the first batch creates the list. */
export function audienceWords(audience: StepDetail['audience']): string {
  const id = audience.id ?? 'not created yet (made with the first batch)';
  return audience.name ? `${audience.name} (id ${id})` : `id ${id}`;
}
