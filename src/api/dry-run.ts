/**
 * The partner's side of a dry-run launch, asked from the API: the launch activity's own check
 * (partners/launch-check.ts) with the connection's token, read-only and through the rate gate.
 * Nothing is created, started, signalled or updated: the token is read by query.
 */
import { ApplicationFailure } from '@temporalio/common';
import { connectionWorkflowId } from '../../domain/ids.js';
import { Fail } from '../../domain/failures.js';
import type { LaunchProblem } from '../../domain/launch-rules.js';
import { credentialsQuery } from '../../domain/messages.js';
import type { StepConfig } from '../../domain/types.js';
import type { PartnerAdapter } from '../../partners/adapter.js';
import { checkLaunch, type LaunchCheck } from '../../partners/launch-check.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { gated } from './partner-gate.js';
import { temporalCall } from './temporal-call.js';

/** The reason a launch gives when the partner refuses the connection's token. */
export const TOKEN_REFUSED: LaunchProblem = {
  code: Fail.TokenInvalid,
  message: 'The partner refused the token; reconnect.',
};

export async function partnerLaunchCheck(
  ctx: ApiContext,
  workspaceId: string,
  adapter: PartnerAdapter,
  config: StepConfig,
): Promise<LaunchCheck> {
  const refused = (problem: LaunchProblem): LaunchCheck => ({ problems: [problem], found: null, creating: false });
  const credentials = await temporalCall(ctx.client.connection, () =>
    ctx.client.workflow.getHandle(connectionWorkflowId(workspaceId, adapter.id)).query(credentialsQuery),
  );
  const token = credentials.accessToken;
  // As the launch activity: a connection that is not `connected` is never asked for.
  if (credentials.status !== 'connected' || !token) return refused(TOKEN_REFUSED);
  try {
    return await gated(ctx, workspaceId, adapter, () => checkLaunch(adapter, token, config), config.adAccountId);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof ApplicationFailure && err.type === Fail.TokenInvalid) return refused(TOKEN_REFUSED);
    // A launch would retry; a dry run answers now. The partner's text never reaches the client.
    throw new ApiError(502, 'partner_unavailable', 'The partner did not answer as expected; try again shortly.');
  }
}
