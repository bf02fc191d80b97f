/**
 * The product rules a step's config must keep on a partner (PARTNERS.md), checked without
 * calling it: by the API (when the partner cannot be asked) and by the launch activity (before
 * it asks). Each broken rule is one `launch_refused` reason.
 */
import type { Action, AudienceRef, Field } from '../../workflows/types.js';
import type { PartnerCapabilities } from './capabilities.js';
import type { LaunchProblem } from './types.js';

export interface LaunchRuleInput {
  audience?: AudienceRef;
  action?: Action;
  fields?: Field[];
}

export function ruleProblems(c: PartnerCapabilities, input: LaunchRuleInput): LaunchProblem[] {
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
