import { launchProblems, type LaunchProblem, type LaunchRuleInput } from '../domain/launch-rules.js';
import type { AudienceRef } from '../domain/types.js';
import type { AudienceInfo, PartnerAdapter } from './adapter.js';

/** What the partner's read-only answers say about a launch. */
export interface LaunchCheck {
  /** Every reason the launch is refused: the product rules, then what the partner said. */
  problems: LaunchProblem[];
  /** The audience the step would sync into, when it exists. */
  found: AudienceInfo | null;
  /** There is no such audience and the config asks for it: the launch creates it. */
  creating: boolean;
}

/**
 * The launch decision, with read-only partner calls only: the launch activity acts on it
 * (creates the audience when `creating`), a dry run only reports it — so both tell the same.
 * Every partner request in it must already run inside a rate gate.
 */
export async function checkLaunch(
  partner: PartnerAdapter,
  token: string,
  input: LaunchRuleInput & { adAccountId: string; audience: AudienceRef },
): Promise<LaunchCheck> {
  const { adAccountId, audience: ref } = input;
  const accounts = await partner.listAdAccounts(token);
  const adAccountVisible = accounts.some((a) => a.id === adAccountId);
  const named = 'id' in ref ? ref.id !== '' : ref.name.trim() !== '';
  const found = adAccountVisible && named ? await partner.findAudience(token, adAccountId, ref) : null;
  const creating = !found && named && !('id' in ref) && ref.create;
  const adAccountProblems = adAccountVisible
    ? ((await partner.adAccountProblems?.(token, adAccountId, creating)) ?? [])
    : [];
  const problems = launchProblems(input, {
    partner: partner.id,
    capabilities: partner.capabilities,
    partnerAnswer: { adAccountVisible, audienceFound: named ? found : undefined, creating, adAccountProblems },
  });
  return { problems, found, creating };
}
