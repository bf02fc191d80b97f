import type { AudienceRef } from '../domain/types.js';
import type { AudienceInfo } from './adapter.js';
import type { AdapterCalls } from './definition.js';

/**
 * The audience a step syncs into: by id, or by name — using the ad account's audience of that
 * name when one exists, so a retried launch never creates a duplicate. `null` when it does not
 * exist and creating was not asked for.
 */
export async function findOrCreateAudience(
  partner: AdapterCalls,
  token: string,
  adAccountId: string,
  ref: AudienceRef,
): Promise<AudienceInfo | null> {
  const found = await partner.findAudience(token, adAccountId, ref);
  if (found || 'id' in ref || !ref.create) return found;
  return partner.createAudience(token, adAccountId, ref.name);
}
