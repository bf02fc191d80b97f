/**
 * The partner activities the workflows call, built from their dependencies so tests can build
 * them against the sandbox. The token is read from the Connection workflow by query at every
 * call (a query result is never written to history), and a call on a connection that is not
 * `connected` fails as InvalidToken without reaching the partner.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Fail } from '../domain/failures.js';
import { rateLimitKey } from '../domain/ids.js';
import { credentialsQuery, type ConnectionCredentials } from '../domain/messages.js';
import { unpackRows } from '../domain/rows.js';
import type { PartnerId } from '../domain/types.js';
import type { PartnerAdapter } from '../partners/adapter.js';
import type { LaunchProblem } from '../domain/launch-rules.js';
import { checkLaunch } from '../partners/launch-check.js';
import { limitsOf } from '../domain/partner.js';
import { outcomeOf, type Metrics } from '../src/observability/metrics.js';
import { temporalRateGate, withRateGate, withoutRateGate } from './rate-gate.js';
import { RecentAnswers } from './recent-answers.js';
import type { PartnerActivities, PartnerCallContext } from '../domain/activities.js';

export interface ActivityDeps {
  client: Client;
  partners: Partial<Record<PartnerId, PartnerAdapter>>;
  /** Where the rate-limiter workflows run (the workflows' task queue). */
  workflowTaskQueue: string;
  metrics?: Metrics;
}

/**
 * How long a token read from its connection is used for further partner calls without asking
 * again. A token replaced or revoked meanwhile costs at most a refused call (InvalidToken, then
 * the batch waits for the new one, as for any token found invalid).
 */
const CREDENTIALS_FRESH_MS = 1_000;

export function createActivities(deps: ActivityDeps): PartnerActivities {
  const recentCredentials = new RecentAnswers<ConnectionCredentials>(CREDENTIALS_FRESH_MS);
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

  /**
   * Runs `fn` with the current token, every partner request in it waiting for a slot of the
   * rate-limit key it counts against. An InvalidToken failure names the token's generation, so
   * a newer token is never blamed.
   */
  async function withToken<T>(
    ctx: PartnerCallContext & { adAccountId: string },
    fn: (token: string) => Promise<T>,
  ): Promise<T> {
    const { capabilities } = adapter(ctx.partner);
    const key = rateLimitKey(capabilities.rateLimitScope, ctx.partner, ctx.workspaceId, ctx.adAccountId);
    const signal = activitySignal();
    const gate = temporalRateGate(deps.client, deps.workflowTaskQueue, key, capabilities.requestsPerSecond, signal);
    // A token older than the one the batch knows of is never used: the connection is asked again.
    const c = await recentCredentials.get(
      ctx.connectionId,
      () => deps.client.workflow.getHandle(ctx.connectionId).query(credentialsQuery),
      (known) => known.generation >= ctx.generation,
    );
    if (c.status !== 'connected' || !c.accessToken) {
      throw ApplicationFailure.create({
        type: Fail.TokenInvalid,
        message: `The ${ctx.partner} connection is ${c.status}.`,
        nonRetryable: true,
        details: [{ generation: c.generation }],
      });
    }
    const token = c.accessToken;
    const counted = (type?: string) =>
      deps.metrics?.partnerRequests.inc({ partner: ctx.partner, outcome: outcomeOf(type) });
    try {
      const result = await withRateGate(gate, () => fn(token), signal);
      counted();
      return result;
    } catch (err) {
      counted(err instanceof ApplicationFailure ? (err.type ?? undefined) : 'partner_unavailable');
      if (err instanceof ApplicationFailure && err.type === Fail.TokenInvalid) {
        throw ApplicationFailure.create({
          type: Fail.TokenInvalid,
          message: err.message,
          nonRetryable: true,
          details: [{ generation: c.generation }],
        });
      }
      throw err;
    }
  }

  /** A batch the partner answered: its users by outcome, for /metrics. */
  const usersCounted = <T extends { synced: number; invalid: number }>(partner: PartnerId, r: T): T => {
    deps.metrics?.partnerUsers.inc({ partner, outcome: 'synced' }, r.synced);
    deps.metrics?.partnerUsers.inc({ partner, outcome: 'invalid_identifier' }, r.invalid);
    return r;
  };

  return {
    async ensureAudience(input) {
      const partner = adapter(input.partner);
      const { capabilities } = partner;
      const limits = limitsOf(capabilities);
      return withToken(input, async (token) => {
        const { adAccountId, audience: ref } = input;
        const { problems, found } = await checkLaunch(partner, token, input);
        if (problems.length) throw refused(problems);
        if (found) return { audienceId: found.id, audienceName: found.name, limits };
        const name = 'name' in ref ? ref.name : '';
        // Pinterest: a customer list can only be created with its first records (the first batch).
        if (capabilities.createsAudienceWithFirstRecords) return { audienceId: null, audienceName: name, limits };
        const created = await createOrExplain(() => partner.createAudience(token, adAccountId, name));
        return { audienceId: created.id, audienceName: created.name, limits };
      });
    },

    async refreshCredentials(input) {
      const partner = adapter(input.partner);
      const c = await deps.client.workflow.getHandle(input.connectionId).query(credentialsQuery);
      if (c.generation !== input.generation) {
        // A new token came meanwhile: renewing it here could spend its refresh token for nothing.
        throw ApplicationFailure.create({
          type: Fail.Rejected,
          message: `The ${input.partner} token to renew has been replaced.`,
          nonRetryable: true,
        });
      }
      if (!c.refreshToken) {
        throw ApplicationFailure.create({
          type: Fail.TokenInvalid,
          message: `The ${input.partner} connection has no refresh token.`,
          nonRetryable: true,
        });
      }
      const refresh = c.refreshToken;
      const fresh = await withoutRateGate(() => partner.refresh(refresh)); // an OAuth token endpoint
      return { ...fresh, refreshToken: fresh.refreshToken ?? c.refreshToken };
    },

    async syncUsers(input) {
      const partner = adapter(input.partner);
      const { audienceId, audienceName } = input;
      const rows = unpackRows(input.rows);
      if (audienceId !== null) {
        const result = await withToken(input, (token) => partner.sendUsers(token, { ...input, audienceId }, rows));
        return usersCounted(input.partner, { synced: result.synced, invalid: result.invalid });
      }
      if (!partner.createAudienceWithUsers || audienceName === null) {
        throw ApplicationFailure.create({
          type: Fail.Rejected,
          message: `${input.partner} needs an audience id.`,
          nonRetryable: true,
        });
      }
      const create = partner.createAudienceWithUsers.bind(partner);
      return withToken(input, async (token) => {
        // The adapter adds to the list if one of that name exists (a retry after a create whose
        // answer was lost), so no second list is made and no lookup is repeated here.
        const result = await createOrExplain(() => create(token, { ...input, audienceName }, rows));
        return usersCounted(input.partner, {
          synced: result.synced,
          invalid: result.invalid,
          audienceId: result.audience.id,
        });
      });
    },
  };
}

/** The running activity's cancellation (a worker shutting down cancels what is in flight). */
function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not inside an activity
  }
}

/** A launch refused for these reasons: the first names the failure, all are in its details. */
function refused(problems: LaunchProblem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: problems[0]!.code,
    message: problems.map((p) => p.message).join(' '),
    nonRetryable: true,
    details: problems,
  });
}

/** The partner refusing to create an audience is `audience_create_failed`, with its reason. */
async function createOrExplain<T>(create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === Fail.Rejected) {
      throw ApplicationFailure.create({
        type: Fail.AudienceCreateFailed,
        message: `The partner refused to create the audience: ${err.message}`,
        nonRetryable: true,
      });
    }
    throw err;
  }
}
