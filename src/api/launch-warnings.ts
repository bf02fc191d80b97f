/**
 * What a user would want to know about a step before (re)launching it, and what its Step then
 * carries: `{code, message}` warnings, never a refusal. Pure: the route gives what it knows.
 */
import { isDeepStrictEqual } from 'node:util';
import { minimumSizeWarning } from '../../domain/audience-size.js';
import type { PartnerCapabilities } from '../../domain/partner.js';
import type { Action, StepConfig } from '../../domain/types.js';

export interface Warning {
  code: string;
  message: string;
}

/** The audience a launch would sync into: `exists: false` = it would be created. */
export interface DryRunAudience {
  id: string | null;
  name: string;
  exists: boolean;
}

/** The launched step a relaunch would change. */
export interface LaunchedStep {
  config: StepConfig;
  audience: { id: string | null; name: string | null };
  synced: number;
}

/**
 * A step adding users to an audience the partner does not show yet (under its minimum size),
 * judged on the users synced: the partner's own size figure is not read yet.
 */
export function audienceSizeWarnings(
  capabilities: Pick<PartnerCapabilities, 'id' | 'minimumAudienceSize'> | undefined,
  action: Action,
  synced: number,
  label = capabilities?.id ?? '',
): Warning[] {
  const warning = minimumSizeWarning({ partner: label, minimum: capabilities?.minimumAudienceSize, action, synced });
  return warning ? [warning] : [];
}

/** The warnings of a dry run: what the launch would carry, and what a relaunch would change. */
export function dryRunWarnings(
  capabilities: PartnerCapabilities,
  config: StepConfig,
  audience: DryRunAudience,
  launched: LaunchedStep | null,
  label = capabilities.id,
): Warning[] {
  const same = !!launched && sameAudience(launched.audience, audience);
  // An existing audience of another step or tool: its size is the partner's, not known here.
  const synced = same ? launched.synced : audience.exists ? undefined : 0;
  return [
    ...(synced === undefined ? [] : audienceSizeWarnings(capabilities, config.action, synced, label)),
    ...(!audience.exists && capabilities.createsAudienceWithFirstRecords
      ? [
          {
            code: 'audience_created_with_first_users',
            message: `${capabilities.id} creates the audience "${audience.name}" with the step's first users: its id is known once the first batch is sent.`,
          },
        ]
      : []),
    ...(launched ? relaunchWarnings(launched, config, audience, same) : []),
  ];
}

const list = (fields: string[]) => fields.join(', ');
const verb = (a: Action) => (a === 'add' ? 'adds' : 'removes');
const done = (a: Action) => (a === 'add' ? 'added' : 'removed');
const counted = (lastStep: boolean) => (lastStep ? 'exited' : 'proceeded');

/** One warning per setting a relaunch changes, saying what happens to the users so far. */
function relaunchWarnings(
  launched: LaunchedStep,
  next: StepConfig,
  audience: DryRunAudience,
  sameAudienceAsNow: boolean,
): Warning[] {
  const prev = launched.config;
  const warnings: Warning[] = [];
  if (prev.adAccountId !== next.adAccountId) {
    warnings.push({
      code: 'relaunch_changes_ad_account',
      message: `The step moves from ad account ${prev.adAccountId} to ${next.adAccountId}.`,
    });
  }
  if (!sameAudienceAsNow) {
    const was = launched.audience.name ?? launched.audience.id ?? 'its audience';
    warnings.push({
      code: 'relaunch_changes_audience',
      message:
        `The step moves to the ${audience.exists ? 'existing' : 'new'} audience "${audience.name}"; ` +
        `the ${launched.synced} users synced so far stay in "${was}".`,
    });
  }
  if (!isDeepStrictEqual(prev.fields, next.fields)) {
    warnings.push({
      code: 'relaunch_changes_fields',
      message:
        `Users are matched on ${list(next.fields)} instead of ${list(prev.fields)}: users waiting to be sent ` +
        `leave first, matched on ${list(prev.fields)}; users already synced are not sent again.`,
    });
  }
  if (prev.action !== next.action) {
    warnings.push({
      code: 'relaunch_changes_action',
      message:
        `The step ${verb(next.action)} users from now on: the users waiting to be sent are ${done(prev.action)} ` +
        'first; users already synced stay as they are.',
    });
  }
  if (prev.lastStep !== next.lastStep) {
    warnings.push({
      code: 'relaunch_changes_last_step',
      message: `Users the step has handled count as ${counted(next.lastStep)} instead of ${counted(prev.lastStep)}.`,
    });
  }
  if (!isDeepStrictEqual(prev.consent ?? {}, next.consent ?? {})) {
    warnings.push({
      code: 'relaunch_changes_consent',
      message: 'The consent rules change for users entering from now on; users already entered keep their outcome.',
    });
  }
  if (!warnings.length) {
    warnings.push({ code: 'relaunch_unchanged', message: 'Nothing the step does would change.' });
  }
  return warnings;
}

/** The step's audience is the one the launch would use (Pinterest's, before its first batch, by name). */
function sameAudience(current: LaunchedStep['audience'], next: DryRunAudience): boolean {
  if (current.id !== null || next.id !== null) return current.id === next.id;
  return current.name === next.name;
}
