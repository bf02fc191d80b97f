import { ApplicationFailure } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import type {
  EnsureAudienceInput,
  EnsureAudienceResult,
  PartnerActivities,
  PartnerCallContext,
  SyncUsersInput,
  SyncUsersResult,
} from '../../domain/activities.js';
import { launchStep } from '../../src/temporal/steps.js';
import type { connectionWorkflow } from '../../workflows/connection.js';
import { Fail } from '../../domain/failures.js';
import { connectionWorkflowId, partnerTaskQueue } from '../../domain/ids.js';
import { stepQuery, usersEnteredSignal, type Credentials, type UsersEntry } from '../../domain/messages.js';
import { packRows, unpackRows } from '../../domain/rows.js';
import type { PartnerLimits } from '../../domain/partner.js';
import type { stepWorkflow } from '../../workflows/step.js';
import type { PartnerId, Row, StepConfig, StepIds, StepView } from '../../domain/types.js';
import { uniqueTaskQueue } from './temporal.js';

export interface SyncCall {
  /** Server time of the call (time-skipping aware). */
  at: number;
  batchId: string;
  users: number;
  generation: number;
}

/** A partner call as the adapter sees it: rows as arrays. */
export type SyncCallInput = Omit<SyncUsersInput, 'rows'> & { rows: Row[] };
type Behaviour = (call: SyncCallInput, n: number) => SyncUsersResult | Promise<SyncUsersResult>;

/**
 * A test double of a partner's activities: records every call and answers as told. Failures
 * are thrown exactly as a real adapter's classifier throws them (ApplicationFailure types).
 */
export class FakePartner implements PartnerActivities {
  readonly calls: SyncCall[] = [];
  /** Every row of every call, in the order sent. */
  readonly sentRows: Row[] = [];
  behaviour: Behaviour = (call) => ({ synced: call.rows.length, invalid: 0 });
  /** Tokens of generations up to this one are rejected as invalid. */
  revokedThrough = 0;
  audienceId: string | null = 'aud-1';

  constructor(
    private readonly now: () => Promise<number>,
    readonly limits: PartnerLimits = {
      maxUsersPerRequest: 5_000,
      createsAudienceWithFirstRecords: false,
      rateLimitScope: 'connection',
    },
  ) {}

  ensureAudience = (input: EnsureAudienceInput): Promise<EnsureAudienceResult> => {
    if (input.generation <= this.revokedThrough) return Promise.reject(invalidToken());
    const name = 'name' in input.audience ? input.audience.name : 'by-id';
    return Promise.resolve({ audienceId: this.audienceId, audienceName: name, limits: this.limits });
  };

  syncUsers = async (sent: SyncUsersInput): Promise<SyncUsersResult> => {
    const input = { ...sent, rows: unpackRows(sent.rows) };
    for (const row of input.rows) this.sentRows.push(row);
    this.calls.push({
      at: await this.now(),
      batchId: input.batchId,
      users: input.rows.length,
      generation: input.generation,
    });
    if (input.generation <= this.revokedThrough) throw invalidToken();
    return this.behaviour(input, this.calls.length);
  };

  /** Server times of every token refresh. */
  readonly refreshes: number[] = [];
  /** The renewed credentials (default: a new token living 2 hours), or a throw. */
  refreshWith: (n: number, now: number) => Credentials = (n, now) => ({
    accessToken: `refreshed-${n}`,
    refreshToken: `refresh-${n}`,
    expiresAt: new Date(now + 2 * 3_600_000).toISOString(),
  });

  refreshCredentials = async (_input: PartnerCallContext): Promise<Credentials> => {
    const now = await this.now();
    this.refreshes.push(now);
    return this.refreshWith(this.refreshes.length, now);
  };

  usersSent(): number {
    return this.calls.reduce((n, c) => n + c.users, 0);
  }
}

export const invalidToken = () =>
  ApplicationFailure.create({ type: Fail.TokenInvalid, message: 'The token was revoked.', nonRetryable: true });
export const rateLimited = (retryAfterMs?: number) =>
  ApplicationFailure.create({
    type: Fail.RateLimited,
    message: 'Too many requests.',
    ...(retryAfterMs ? { nextRetryDelay: retryAfterMs } : {}),
  });
export const transient = () =>
  ApplicationFailure.create({ type: Fail.PartnerUnavailable, message: 'HTTP 503 from the partner.' });
export const audienceRestricted = () =>
  ApplicationFailure.create({
    type: Fail.AudienceRestricted,
    message: 'Facebook error 100/1713230: the custom audience is restricted and cannot be changed.',
    nonRetryable: true,
  });
export const audienceGone = () =>
  ApplicationFailure.create({ type: Fail.AudienceDeleted, message: 'The audience was deleted.', nonRetryable: true });

export interface Engine {
  taskQueue: string;
  /** A workspace of its own per test, so workflow ids never collide on a shared server. */
  workspaceId: string;
  env: TestWorkflowEnvironment;
  partners: Partial<Record<PartnerId, FakePartner>>;
}

/**
 * Runs `fn` with the workers `npm start` runs: one for the workflows, one per partner queue
 * for that partner's activities. A worker that crashes fails the test.
 */
export async function withEngine<T>(
  env: TestWorkflowEnvironment,
  partners: Partial<Record<PartnerId, FakePartner>>,
  fn: (engine: Engine) => Promise<T>,
): Promise<T> {
  const taskQueue = uniqueTaskQueue('engine');
  const bundle = { codePath: inject('harness').workflowBundlePath };
  const workers = [
    await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle }),
    ...(await Promise.all(
      (Object.entries(partners) as [PartnerId, FakePartner][]).map(([partner, fake]) =>
        Worker.create({
          connection: env.nativeConnection,
          taskQueue: partnerTaskQueue(taskQueue, partner),
          // Delegate at call time, so a test may swap a behaviour mid-way.
          activities: {
            ensureAudience: (i: EnsureAudienceInput) => fake.ensureAudience(i),
            syncUsers: (i: SyncUsersInput) => fake.syncUsers(i),
            refreshCredentials: (i: PartnerCallContext) => fake.refreshCredentials(i),
          },
        }),
      ),
    )),
  ];
  const runs = workers.map((w) => w.run());
  try {
    return await Promise.race([
      fn({ taskQueue, workspaceId: `ws-${taskQueue.slice(-12)}`, env, partners }),
      ...runs.map((r) => r.then(() => Promise.reject(new Error('a worker stopped during the test')))),
    ]);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
  }
}

export function stepIds(engine: Engine, stepId = 'step-1', canvasId = 'canvas-1'): StepIds {
  return { workspaceId: engine.workspaceId, canvasId, stepId };
}

export function aConfig(over: Partial<StepConfig> = {}): StepConfig {
  return {
    partner: 'linkedin',
    adAccountId: 'acct-1',
    audience: { name: 'leads', create: true },
    action: 'add',
    fields: ['email'],
    lastStep: false,
    ...over,
  };
}

export async function connect(engine: Engine, partner: PartnerId, accessToken = 'token-1') {
  return engine.env.client.workflow.start<typeof connectionWorkflow>('connectionWorkflow', {
    taskQueue: engine.taskQueue,
    workflowId: connectionWorkflowId(engine.workspaceId, partner),
    args: [{ workspaceId: engine.workspaceId, partner, credentials: { accessToken } }],
  });
}

/** Launches a step (its partner must be connected first). */
export async function launched(
  engine: Engine,
  config: StepConfig = aConfig(),
  ids: StepIds = stepIds(engine),
): Promise<WorkflowHandle<typeof stepWorkflow>> {
  const { handle } = await launchStep(engine.env.client, engine.taskQueue, ids, config);
  return handle;
}

let rowSeq = 0;
/** `n` users with a distinct 64-hex "hash" per field, as the API would send them. */
export function rows(n: number, fields = 1): Row[] {
  return Array.from({ length: n }, () => {
    rowSeq++;
    return Array.from({ length: fields }, (_, f) => (rowSeq * 16 + f).toString(16).padStart(64, '0'));
  });
}

let keySeq = 0;
export function entry(users: number | Row[], over: Partial<UsersEntry> = {}): UsersEntry {
  return {
    idempotencyKey: `key-${++keySeq}`,
    enteredAt: Date.now(),
    notSynced: {},
    rows: packRows(typeof users === 'number' ? rows(users) : users),
    ...over,
  };
}

export async function enter(step: WorkflowHandle<typeof stepWorkflow>, e: UsersEntry): Promise<void> {
  await step.signal(usersEnteredSignal, e);
}

/** Reads the step's metrics, checking the invariant every user relies on. */
export async function metrics(step: WorkflowHandle<typeof stepWorkflow>): Promise<StepView> {
  const view = await step.query(stepQuery);
  const m = view.metrics;
  expect(m.entered, 'entered = notSynced + pending + synced + errored').toBe(
    m.notSynced + m.pending + m.synced + m.errored,
  );
  expect(m.entered).toBe(m.proceeded + m.exited);
  return view;
}

/** Polls the step until `check` passes (workflow tasks take a moment to run), or fails after `timeoutMs`. */
export async function until(
  step: WorkflowHandle<typeof stepWorkflow>,
  check: (v: StepView) => boolean,
  timeoutMs = 20_000,
): Promise<StepView> {
  const deadline = Date.now() + timeoutMs;
  let last: StepView | undefined;
  while (Date.now() < deadline) {
    last = await metrics(step);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`step never reached the expected state; last: ${JSON.stringify(last)}`);
}
