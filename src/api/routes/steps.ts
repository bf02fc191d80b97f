import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { launchProblems, relaunchProblem, type LaunchProblem } from '../../../domain/launch-rules.js';
import { stepWorkflowId } from '../../../domain/ids.js';
import { stepQuery, stopSignal, timelineQuery, usersEnteredSignal } from '../../../domain/messages.js';
import { CanvasIdKey, PartnerKey, StepIdKey, SyncStateKey } from '../../../domain/search-attributes.js';
import type { stepWorkflow } from '../../../workflows/step.js';
import type { StepConfig, StepIds, StepView } from '../../../domain/types.js';
import type { PartnerAdapter } from '../../../partners/adapter.js';
import { Fail } from '../../../domain/failures.js';
import { launchStep } from '../../temporal/steps.js';
import { partnerOf, type ApiContext } from '../context.js';
import { planEntry } from '../entry.js';
import { TOKEN_REFUSED, partnerLaunchCheck } from '../dry-run.js';
import { ApiError } from '../errors.js';
import { audienceSizeWarnings, dryRunWarnings } from '../launch-warnings.js';
import { Id, LaunchQuery, LaunchStep, MAX_USERS_PER_REQUEST, PostUsers } from '../schemas.js';
import { temporalCall } from '../temporal-call.js';
import { parse } from '../validate.js';
import { connectionView } from './connections.js';

const PATH = '/v1/canvases/:canvasId/steps/:stepId';
/** Steps GET /v1/steps lists at most. */
const MAX_LISTED_STEPS = 1_000;
/** A value in a visibility query: single-quoted, quotes and backslashes escaped. */
const quoted = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const StepPath = z.object({ canvasId: Id, stepId: Id });

const stepNotFound = () => new ApiError(404, 'step_not_found', 'No step was launched at this path in this workspace.');
const backlogFull = (pending: number) =>
  new ApiError(
    503,
    'unavailable',
    `This step holds ${pending} users not yet sent to the partner; nothing was recorded, retry shortly.`,
    undefined,
    2,
  );
const stepStopped = () => new ApiError(409, 'step_stopped', 'The step is stopped; it takes no more users.');
const refused = (problems: LaunchProblem[]) =>
  new ApiError(
    422,
    'launch_refused',
    `The step cannot run: ${problems.map((p) => p.code).join(', ')}.`,
    problems.map((p) => ({
      code: p.code,
      message: p.message,
      ...(REASON_FIELDS[p.code] ? { field: REASON_FIELDS[p.code] } : {}),
    })),
  );
/** The launch body's field each `launch_refused` reason is about. */
const REASON_FIELDS: Record<string, string> = {
  not_connected: 'partner',
  token_invalid: 'partner',
  ad_account_not_selected: 'adAccountId',
  terms_not_accepted: 'adAccountId',
  audience_limit_reached: 'adAccountId',
  audience_name_required: 'audience.name',
  audience_create_failed: 'audience.name',
  audience_not_found: 'audience.id',
  audience_restricted: 'audience',
  value_based_audience_unsupported: 'audience',
  remove_not_supported: 'action',
  no_match_fields: 'fields',
  field_not_supported: 'fields',
};

export function stepRoutes(ctx: ApiContext): Router {
  const r = Router();

  /** The caller's workspace and the step's ids (400 naming a bad id). */
  async function stepOf(req: Request<{ canvasId: string; stepId: string }>): Promise<StepIds> {
    const workspaceId = await ctx.auth.workspace(req);
    const { canvasId, stepId } = parse(StepPath, req.params, 'path');
    return { workspaceId, canvasId, stepId };
  }
  const handle = (ids: StepIds): WorkflowHandle<typeof stepWorkflow> =>
    ctx.client.workflow.getHandle(stepWorkflowId(ids));

  /**
   * The launched step's view; 404 when it was never launched (or its launch was refused).
   * Concurrent requests for one step share one query: the server buffers few queries per
   * workflow and sheds the rest.
   */
  const inflight = new Map<string, Promise<StepView>>();
  async function launchedView(ids: StepIds): Promise<StepView & { config: StepConfig }> {
    const id = stepWorkflowId(ids);
    let query = inflight.get(id);
    if (!query) {
      query = temporalCall(ctx.client.connection, () => handle(ids).query(stepQuery)).finally(() =>
        inflight.delete(id),
      );
      inflight.set(id, query);
    }
    const view = await query.catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw stepNotFound();
      throw err;
    });
    if (!view.config) throw stepNotFound();
    return view as StepView & { config: StepConfig };
  }

  function stepBody(ids: StepIds, v: StepView & { config: StepConfig }) {
    const c = v.config;
    const warnings = audienceSizeWarnings(
      ctx.partners[c.partner]?.capabilities,
      c.action,
      v.metrics.synced,
      ctx.registry.get(c.partner)?.label,
    );
    return {
      canvasId: ids.canvasId,
      stepId: ids.stepId,
      partner: c.partner,
      adAccountId: c.adAccountId,
      audience: v.audience,
      action: c.action,
      fields: c.fields,
      lastStep: c.lastStep,
      ...(c.consent ? { consent: c.consent } : {}),
      state: v.state,
      metrics: v.metrics,
      reasons: v.reasons,
      ...(warnings.length ? { warnings } : {}),
      ...(v.lastError ? { lastError: v.lastError } : {}),
    };
  }

  /**
   * What the launch of `config` would do, as the launch decides it (the step's own rules, then the
   * partner's read-only answers), changing nothing; every refusal as the launch would answer it.
   */
  async function dryRun(ids: StepIds, config: StepConfig, adapter: PartnerAdapter) {
    const launched = await launchedView(ids).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'step_not_found') return null;
      throw err;
    });
    if (launched?.state === 'stopping' || launched?.state === 'stopped') throw stepStopped();
    const partnerChange = relaunchProblem(launched?.config, config);
    if (partnerChange) throw refused([partnerChange]);
    const { problems, found } = await partnerLaunchCheck(ctx, ids.workspaceId, adapter, config);
    if (problems.length) throw refused(problems);
    const audience = found
      ? { id: found.id, name: found.name, exists: true }
      : { id: null, name: 'name' in config.audience ? config.audience.name : '', exists: false };
    const step = launched && { config: launched.config, audience: launched.audience, synced: launched.metrics.synced };
    return {
      dryRun: true,
      audience,
      warnings: dryRunWarnings(adapter.capabilities, config, audience, step, ctx.registry.get(adapter.id)?.label),
    };
  }

  r.put(PATH, async (req, res) => {
    const ids = await stepOf(req);
    const query = parse(LaunchQuery, req.query, 'query');
    const config: StepConfig = parse(LaunchStep, req.body);
    const adapter = partnerOf(ctx, config.partner);
    // What the API can tell without the partner: with a usable connection, the product rules are
    // told together with the partner's own reasons, by the launch.
    const connection = await connectionView(ctx, ids.workspaceId, config.partner);
    const selected = !!connection?.adAccounts.some((a) => a.id === config.adAccountId && a.selected);
    if (connection?.status !== 'connected' || !selected) {
      throw refused(
        launchProblems(config, {
          partner: config.partner,
          capabilities: adapter.capabilities,
          connection: connection && { status: connection.status, selected },
        }),
      );
    }
    if (query.dryRun === 'true') return void res.json(await dryRun(ids, config, adapter));
    const { result } = await temporalCall(ctx.client.connection, () =>
      launchStep(ctx.client, ctx.taskQueue, ids, config, adapter.capabilities.rateLimitScope),
    ).catch((err: unknown) => {
      throw launchError(err);
    });
    res.status(result.created ? 201 : 200).json(stepBody(ids, await launchedView(ids)));
  });

  r.post(`${PATH}/users`, async (req, res) => {
    const ids = await stepOf(req);
    const users = (req.body as { users?: unknown } | undefined)?.users;
    if (Array.isArray(users) && users.length > MAX_USERS_PER_REQUEST) {
      throw new ApiError(413, 'too_many_users', `At most ${MAX_USERS_PER_REQUEST} users per request; split them.`, [
        { field: 'users', message: `has ${users.length} users; at most ${MAX_USERS_PER_REQUEST}` },
      ]);
    }
    const body = parse(PostUsers, req.body);
    const view = await launchedView(ids);
    if (view.state === 'stopping' || view.state === 'stopped') throw stepStopped();
    if (view.metrics.pending >= ctx.maxPendingUsersPerStep) throw backlogFull(view.metrics.pending);
    const plan = planEntry(body.users, view.config, ctx.registry.require(view.config.partner));
    // Each part is its own signal with its own key: a retry after a partial failure counts only what is missing.
    const key = body.idempotencyKey ?? randomUUID();
    const parts = plan.parts.length ? plan.parts : [[]];
    const enteredAt = Date.now();
    await temporalCall(ctx.client.connection, () =>
      Promise.all(
        parts.map((rows, i) =>
          handle(ids).signal(usersEnteredSignal, {
            idempotencyKey: `${key}#${i}`,
            enteredAt,
            notSynced: i === 0 ? plan.notSynced : {},
            rows,
          }),
        ),
      ),
    );
    const notSynced = Object.values(plan.notSynced).reduce((a, b) => a + b, 0);
    const partner = view.config.partner;
    ctx.metrics?.usersEntered.inc({ partner }, plan.accepted);
    for (const [reason, n] of Object.entries(plan.notSynced)) ctx.metrics?.usersNotSynced.inc({ partner, reason }, n);
    res.status(202).json({ accepted: plan.accepted, notSynced });
  });

  r.get(PATH, async (req, res) => {
    const ids = await stepOf(req);
    res.json(stepBody(ids, await launchedView(ids)));
  });

  r.get(`${PATH}/timeline`, async (req, res) => {
    const ids = await stepOf(req);
    await launchedView(ids);
    res.json(await temporalCall(ctx.client.connection, () => handle(ids).query(timelineQuery)));
  });

  /** The workspace's launched steps, as Temporal's visibility lists them (seconds behind at most). */
  r.get('/v1/steps', async (req, res) => {
    const workspaceId = await ctx.auth.workspace(req);
    const query =
      `WorkflowType = 'stepWorkflow' AND WorkspaceId = ${quoted(workspaceId)} ` +
      `AND ExecutionStatus != 'ContinuedAsNew'`;
    const steps = await temporalCall(ctx.client.connection, async () => {
      const found: { canvasId: string; stepId: string; partner: string; state: string }[] = [];
      for await (const w of ctx.client.workflow.list({ query })) {
        const canvasId = w.typedSearchAttributes.get(CanvasIdKey);
        const stepId = w.typedSearchAttributes.get(StepIdKey);
        const partner = w.typedSearchAttributes.get(PartnerKey);
        // A step whose launch was refused never had a partner: there is no step to show.
        if (!canvasId || !stepId || !partner) continue;
        found.push({
          canvasId,
          stepId,
          partner,
          state: w.typedSearchAttributes.get(SyncStateKey) ?? 'creating_audience',
        });
        if (found.length >= MAX_LISTED_STEPS) break;
      }
      return found;
    });
    steps.sort((a, b) => a.canvasId.localeCompare(b.canvasId) || a.stepId.localeCompare(b.stepId));
    res.json({ steps });
  });

  r.delete(PATH, async (req, res) => {
    const ids = await stepOf(req);
    await launchedView(ids);
    await temporalCall(ctx.client.connection, () => handle(ids).signal(stopSignal));
    res.status(202).end();
  });

  return r;
}

/** A refused launch: every reason the activity gave, as `launch_refused` details. */
function launchError(err: unknown): unknown {
  if (!(err instanceof WorkflowUpdateFailedError)) return err;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure)) return err;
  if (cause.type === 'step_stopped') return stepStopped();
  if (cause.type === Fail.TokenInvalid) {
    return refused([TOKEN_REFUSED]);
  }
  const details = (cause.details ?? []).filter(
    (d): d is LaunchProblem => typeof d === 'object' && d !== null && 'code' in d && 'message' in d,
  );
  return refused(details.length ? details : [{ code: cause.type ?? 'launch_refused', message: cause.message }]);
}
