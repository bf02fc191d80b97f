import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Fail } from '../../../domain/failures.js';
import { Router, type Request } from 'express';
import type { PartnerAdapter } from '../../../partners/adapter.js';
import { withoutRateGate } from '../../../activities/rate-gate.js';
import type { connectionWorkflow } from '../../../workflows/connection.js';
import { connectionWorkflowId, workspaceWorkflowId } from '../../../domain/ids.js';
import {
  connectionQuery,
  credentialsQuery,
  disconnectSignal,
  selectAdAccountsUpdate,
  setCredentialsSignal,
  type AdAccount,
  type ConnectionView,
  type Credentials,
} from '../../../domain/messages.js';
import type { PartnerId } from '../../../domain/types.js';
import { consumeOAuthStateUpdate } from '../../../workflows/workspace.js';
import { connectionChecks, probeConnection, type Probe } from '../connection-check.js';
import { partnerOf, type ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { gated } from '../partner-gate.js';
import { signState, verifyState } from '../oauth-state.js';
import { AuthorizeQuery, CallbackQuery, PutToken, SelectAdAccounts } from '../schemas.js';
import { temporalCall } from '../temporal-call.js';
import { parse } from '../validate.js';

const notConnected = (partner: string) =>
  new ApiError(404, 'not_connected', `This workspace has no ${partner} connection.`);
const invalidState = () =>
  new ApiError(400, 'invalid_state', 'The authorization state is invalid, already used or expired; start again.', [
    { field: 'state', message: 'is invalid, already used or expired' },
  ]);

/** docs/api.md's Connection (never a token). */
export function connectionBody(partner: PartnerId, v: ConnectionView) {
  return {
    partner,
    status: v.status,
    adAccounts: v.adAccounts,
    connectedAt: v.connectedAt ?? null,
    ...(v.lastError ? { lastError: v.lastError } : {}),
  };
}

/** The connection's view, or null when the workspace never connected that partner. */
export async function connectionView(
  ctx: ApiContext,
  workspaceId: string,
  partner: PartnerId,
): Promise<ConnectionView | null> {
  return temporalCall(ctx.client.connection, () =>
    ctx.client.workflow.getHandle(connectionWorkflowId(workspaceId, partner)).query(connectionQuery),
  ).catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  });
}

export function connectionRoutes(ctx: ApiContext): Router {
  const r = Router();
  const callbackUrl = (partner: PartnerId) => `${ctx.publicUrl}/v1/oauth/${partner}/callback`;

  /**
   * Stores a token (and the ad accounts it sees) in the Connection workflow, starting it if needed.
   * `field`: what the client sent that the token came from, named if the partner refuses it.
   */
  async function connect(workspaceId: string, adapter: PartnerAdapter, credentials: Credentials, field: SentField) {
    const adAccounts = await partnerCall(
      () => gated(ctx, workspaceId, adapter, () => adapter.listAdAccounts(credentials.accessToken)),
      field,
    );
    await temporalCall(ctx.client.connection, () =>
      ctx.client.workflow.signalWithStart<typeof connectionWorkflow, [Credentials & { adAccounts?: AdAccount[] }]>(
        'connectionWorkflow',
        {
          taskQueue: ctx.taskQueue,
          workflowId: connectionWorkflowId(workspaceId, adapter.id),
          args: [{ workspaceId, partner: adapter.id }],
          signal: setCredentialsSignal,
          signalArgs: [{ ...credentials, adAccounts }],
        },
      ),
    );
    return (await connectionView(ctx, workspaceId, adapter.id))!;
  }

  r.get('/v1/connections/:partner/authorize', async (req, res) => {
    const workspaceId = await ctx.auth.workspace(req);
    const adapter = partnerOf(ctx, req.params.partner);
    const { redirectUri } = parse(AuthorizeQuery, req.query, 'query');
    const state = signState(ctx.stateSecret, {
      w: workspaceId,
      p: adapter.id,
      ...(redirectUri ? { r: redirectUri } : {}),
    });
    res.redirect(302, adapter.authorizeUrl(state, callbackUrl(adapter.id)));
  });

  r.get('/v1/oauth/:partner/callback', async (req, res) => {
    const adapter = partnerOf(ctx, req.params.partner);
    const { code, auth_code, state } = parse(CallbackQuery, req.query, 'query');
    const s = verifyState(ctx.stateSecret, state);
    if (!s || s.p !== adapter.id) throw invalidState();
    await temporalCall(ctx.client.connection, () =>
      ctx.client.workflow.getHandle(workspaceWorkflowId(s.w)).executeUpdate(consumeOAuthStateUpdate, {
        args: [{ nonce: s.n, expiresAt: s.e }],
      }),
    ).catch((err: unknown) => {
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) throw invalidState();
      throw err;
    });
    const credentials = await partnerCall(
      // The OAuth token endpoint: partners do not count it against their limits.
      () => withoutRateGate(() => adapter.exchangeCode((code ?? auth_code)!, callbackUrl(adapter.id))),
      code ? 'code' : 'auth_code',
    );
    const view = await connect(s.w, adapter, credentials, code ? 'code' : 'auth_code');
    if (s.r) return void res.redirect(302, s.r);
    res.json(connectionBody(adapter.id, view));
  });

  r.put('/v1/connections/:partner', async (req, res) => {
    const workspaceId = await ctx.auth.workspace(req);
    const adapter = partnerOf(ctx, req.params.partner);
    const body = parse(PutToken, req.body);
    res.json(connectionBody(adapter.id, await connect(workspaceId, adapter, body, 'accessToken')));
  });

  r.get('/v1/connections', async (req, res) => {
    const workspaceId = await ctx.auth.workspace(req);
    const partners = ctx.registry.ids.filter((p) => ctx.partners[p]);
    const views = await Promise.all(partners.map((p) => connectionView(ctx, workspaceId, p)));
    res.json({
      connections: partners.flatMap((p, i) => (views[i] ? [connectionBody(p, views[i])] : [])),
    });
  });

  r.get('/v1/connections/:partner', async (req, res) => {
    const { workspaceId, adapter } = await scoped(req);
    const view = await connectionView(ctx, workspaceId, adapter.id);
    if (!view) throw notConnected(adapter.id);
    res.json(connectionBody(adapter.id, view));
  });

  // Read-only: queries only (never written to history), partner reads through the rate gate.
  r.get('/v1/connections/:partner/check', async (req, res) => {
    const { workspaceId, adapter } = await scoped(req);
    const handle = ctx.client.workflow.getHandle(connectionWorkflowId(workspaceId, adapter.id));
    const credentials = await temporalCall(ctx.client.connection, () => handle.query(credentialsQuery)).catch(
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) throw notConnected(adapter.id);
        throw err;
      },
    );
    const view = (await connectionView(ctx, workspaceId, adapter.id))!;
    const d = ctx.registry.get(adapter.id);
    const label = d?.label ?? adapter.id;
    const selected = view.adAccounts.filter((a) => a.selected).map((a) => a.id);
    const token = credentials.accessToken;
    const probe: Probe = token
      ? await probeConnection(adapter, token, selected, (fn, adAccountId) =>
          gated(ctx, workspaceId, adapter, fn, adAccountId),
        )
      : {
          tokenInfo: {
            ok: false,
            message: `the connection is ${credentials.status} and holds no token; connect ${label} again.`,
          },
          problems: {},
        };
    const checks = connectionChecks(
      {
        label,
        requiredScopes: adapter.requiredScopes,
        version: ctx.apiVersions[adapter.id],
        overrideKey: d?.api.override?.key,
        pinned: d?.api.version ?? null,
        selected,
      },
      probe,
    );
    res.json({ partner: adapter.id, ok: checks.every((c) => c.ok), checks });
  });

  r.put('/v1/connections/:partner/ad-accounts', async (req, res) => {
    const { workspaceId, adapter } = await scoped(req);
    const body = parse(SelectAdAccounts, req.body);
    const view = await temporalCall(ctx.client.connection, () =>
      ctx.client.workflow
        .getHandle(connectionWorkflowId(workspaceId, adapter.id))
        .executeUpdate(selectAdAccountsUpdate, { args: [{ adAccountIds: body.adAccountIds }] }),
    ).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw notConnected(adapter.id);
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === 'unknown_ad_account') {
          throw new ApiError(422, 'unknown_ad_account', err.cause.message, [
            { field: 'adAccountIds', message: err.cause.message },
          ]);
        }
      }
      throw err;
    });
    res.json(connectionBody(adapter.id, view));
  });

  r.delete('/v1/connections/:partner', async (req, res) => {
    const { workspaceId, adapter } = await scoped(req);
    await temporalCall(ctx.client.connection, () =>
      ctx.client.workflow.getHandle(connectionWorkflowId(workspaceId, adapter.id)).signal(disconnectSignal),
    ).catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw notConnected(adapter.id);
      throw err;
    });
    res.status(204).end();
  });

  async function scoped(req: Request<{ partner: string }>) {
    const workspaceId = await ctx.auth.workspace(req);
    return { workspaceId, adapter: partnerOf(ctx, req.params.partner) };
  }

  return r;
}

/**
 * A partner call made by the API (connect time) with what the client sent in `field`: a refused
 * token is 422 `token_invalid`, a refused OAuth code (`code`, `auth_code`) 400 `invalid_code`,
 * naming the field; a partner that fails is 502; the partner's text never reaches the client.
 */
type SentField = 'accessToken' | 'code' | 'auth_code';
async function partnerCall<T>(fn: () => Promise<T>, field: SentField): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const type = err instanceof ApplicationFailure ? err.type : undefined;
    if (type === Fail.TokenInvalid || type === Fail.Rejected) {
      const [status, code] = field === 'accessToken' ? [422, 'token_invalid'] : [400, 'invalid_code'];
      throw new ApiError(status, code, 'The partner refused the credentials.', [
        { field, message: 'was refused by the partner' },
      ]);
    }
    throw new ApiError(502, 'partner_unavailable', 'The partner did not answer as expected; try again shortly.');
  }
}
