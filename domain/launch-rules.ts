/**
 * Whether a step may launch, and every reason it may not, in one function. The API calls it
 * with what it knows before asking Temporal (the connection, the product rules), the Step with
 * its connection's status, and the launch activity with what the partner said; each broken rule
 * is one `launch_refused` reason, listed together.
 */
import type { PartnerCapabilities } from './partner.js';
import type { Action, AudienceRef, ConnectionStatus, Field } from './types.js';

/** A reason to refuse a launch, in the `launch_refused` details shape. */
export interface LaunchProblem {
  code: string;
  message: string;
}

export interface LaunchRuleInput {
  audience?: AudienceRef;
  action?: Action;
  fields?: Field[];
  adAccountId?: string;
}

/** What the caller knows when it checks; each part is checked only when given. */
export interface LaunchFacts {
  /** The partner's id, for messages. */
  partner: string;
  /** The product rules of the partner. */
  capabilities?: PartnerCapabilities;
  /** The workspace's connection: `null` when there is none; `selected` = the ad account is selected on it. */
  connection?: { status: ConnectionStatus; selected?: boolean } | null;
  /** What the partner answered (the launch activity). */
  partnerAnswer?: PartnerAnswer;
}

export interface PartnerAnswer {
  /** The token sees the ad account. */
  adAccountVisible: boolean;
  /** The named audience exists; `undefined` when the ref names none. */
  audienceFound?: { valueBased?: boolean; restricted?: boolean } | null;
  /** The step would create the audience. */
  creating: boolean;
  /** What the partner would refuse on the ad account (terms, the audience cap). */
  adAccountProblems: LaunchProblem[];
}

export function launchProblems(config: LaunchRuleInput, facts: LaunchFacts): LaunchProblem[] {
  return [
    ...connectionProblems(config, facts),
    ...(facts.capabilities ? ruleProblems(facts.capabilities, config) : []),
    ...(facts.partnerAnswer ? answerProblems(config, facts.partner, facts.partnerAnswer) : []),
  ];
}

function connectionProblems(config: LaunchRuleInput, { partner, connection }: LaunchFacts): LaunchProblem[] {
  if (connection === undefined) return [];
  if (connection === null || connection.status === 'disconnected') {
    return [
      { code: 'not_connected', message: `Connect ${partner} first: this workspace has no ${partner} connection.` },
    ];
  }
  if (connection.status === 'invalid_token') {
    return [{ code: 'token_invalid', message: `The ${partner} token is no longer valid; reconnect.` }];
  }
  if (connection.selected === false) {
    return [
      {
        code: 'ad_account_not_selected',
        message: `Ad account ${config.adAccountId ?? ''} is not selected on the ${partner} connection.`,
      },
    ];
  }
  return [];
}

/** The product rules a config must keep on a partner, checked without calling it. */
function ruleProblems(c: PartnerCapabilities, input: LaunchRuleInput): LaunchProblem[] {
  const problems: LaunchProblem[] = [];
  const { audience } = input;
  if (audience && 'name' in audience && audience.name.trim() === '') {
    problems.push({ code: 'audience_name_required', message: 'The audience needs a name.' });
  }
  if (audience && 'id' in audience && audience.id.trim() === '') {
    problems.push({ code: 'audience_not_found', message: 'An empty audience id names no audience.' });
  }
  if (input.action === 'remove' && !c.canRemove) {
    problems.push({ code: 'remove_not_supported', message: `${c.id} cannot remove users from an audience.` });
  }
  const fields = input.fields ?? [];
  if (input.fields && fields.length === 0) {
    problems.push({
      code: 'no_match_fields',
      message: `Choose at least one field to match users on; ${c.id} accepts ${c.fields.join(', ')}.`,
    });
  }
  const unsupported = fields.filter((f) => !c.fields.includes(f));
  if (unsupported.length) {
    problems.push({
      code: 'field_not_supported',
      message: `${c.id} does not match on ${unsupported.join(', ')}; it accepts ${c.fields.join(', ')}.`,
    });
  } else if (c.maxFieldsPerAudience !== undefined && fields.length > c.maxFieldsPerAudience) {
    problems.push({
      code: 'field_not_supported',
      message: `A ${c.id} audience holds one kind of identifier: choose one of ${c.fields.join(', ')}.`,
    });
  }
  for (const [a, b] of c.fieldPairs) {
    if (fields.includes(a) !== fields.includes(b)) {
      problems.push({ code: 'field_not_supported', message: `${c.id} matches on ${a} and ${b} only together.` });
    }
  }
  return problems;
}

function answerProblems(config: LaunchRuleInput, partner: string, a: PartnerAnswer): LaunchProblem[] {
  if (!a.adAccountVisible) {
    return [{ code: 'ad_account_unavailable', message: `The ${partner} connection cannot use that ad account.` }];
  }
  const problems = [...a.adAccountProblems];
  if (a.audienceFound?.valueBased) {
    problems.push({
      code: 'value_based_audience_unsupported',
      message: 'That audience is value-based: it takes a value per user, which this step does not send.',
    });
  }
  if (a.audienceFound?.restricted) {
    problems.push({
      code: 'audience_restricted',
      message:
        'The partner has restricted that audience (it may suggest health or financial status) and refuses changes to it; appeal in its audience manager or use another audience.',
    });
  }
  if (a.audienceFound === null && !a.creating && config.audience) {
    problems.push({ code: 'audience_not_found', message: 'No audience with that id or name exists.' });
  }
  return problems;
}

/** A relaunch must keep the step's partner: its audience and users live there (`invalid_request`). */
export function relaunchProblem(previous: { partner: string } | null | undefined, config: { partner: string }) {
  if (!previous || previous.partner === config.partner) return null;
  return {
    code: 'invalid_request',
    message: `A launched step cannot change partner (${previous.partner} → ${config.partner}).`,
  } satisfies LaunchProblem;
}
