/**
 * The partner activities the workflows call, built from their dependencies so tests can build
 * them against the sandbox. The token is read from the Connection workflow by query at every
 * call (a query result is never written to history), and a call on a connection that is not
 * `connected` fails as InvalidToken without reaching the partner.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Fail } from '../workflows/failures.js';
import { credentialsQuery } from '../workflows/messages.js';
import type { PartnerId } from '../workflows/types.js';
import { findOrCreateAudience } from './partners/audiences.js';
import type { PartnerAdapter } from './partners/types.js';
import type { PartnerActivities, PartnerCallContext } from './types.js';

export interface ActivityDeps {
  client: Client;
  partners: Partial<Record<PartnerId, PartnerAdapter>>;
}

export function createActivities(deps: ActivityDeps): PartnerActivities {
  const adapter = (partner: PartnerId): PartnerAdapter => {
    const a = deps.partners[partner];
    if (!a)
      throw ApplicationFailure.create({
        type: Fail.Rejected,
        message: `No ${partner} adapter is configured.`,
        nonRetryable: true,
      });
    return a;
  };

  /** The current token; the failure names the generation it belongs to, so a newer token is never blamed. */
  async function withToken<T>(ctx: PartnerCallContext, fn: (token: string) => Promise<T>): Promise<T> {
    const c = await deps.client.workflow.getHandle(ctx.connectionId).query(credentialsQuery);
    if (c.status !== 'connected' || !c.accessToken) {
      throw ApplicationFailure.create({
        type: Fail.InvalidToken,
        message: `The ${ctx.partner} connection is ${c.status}.`,
        nonRetryable: true,
        details: [{ generation: c.generation }],
      });
    }
    try {
      return await fn(c.accessToken);
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === Fail.InvalidToken) {
        throw ApplicationFailure.create({
          type: Fail.InvalidToken,
          message: err.message,
          nonRetryable: true,
          details: [{ generation: c.generation }],
        });
      }
      throw err;
    }
  }

  return {
    async ensureAudience(input) {
      const partner = adapter(input.partner);
      const limits = {
        maxUsersPerRequest: partner.capabilities.maxUsersPerRequest,
        createsAudienceWithFirstRecords: partner.capabilities.createsAudienceWithFirstRecords,
      };
      if (limits.createsAudienceWithFirstRecords && !('id' in input.audience)) {
        // Pinterest: the list is created with the first batch's records.
        return { audienceId: null, audienceName: input.audience.name, limits };
      }
      const found = await withToken(input, (token) =>
        findOrCreateAudience(partner, token, input.adAccountId, input.audience),
      );
      if (!found) {
        throw ApplicationFailure.create({
          type: Fail.AudienceNotFound,
          message: 'No audience with that id or name exists.',
          nonRetryable: true,
        });
      }
      return { audienceId: found.id, audienceName: found.name, limits };
    },

    async syncUsers(input) {
      const partner = adapter(input.partner);
      const { audienceId } = input;
      if (audienceId === null) {
        throw ApplicationFailure.create({
          type: Fail.Rejected,
          message: `${input.partner} needs an audience id.`,
          nonRetryable: true,
        });
      }
      const result = await withToken(input, (token) => partner.sendUsers(token, { ...input, audienceId }, input.rows));
      return { synced: result.synced, invalid: result.invalid };
    },
  };
}
