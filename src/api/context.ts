import type { Client } from '@temporalio/client';
import type { PartnerAdapter } from '../../partners/adapter.js';
import type { ApiVersionInForce, PartnerRegistry } from '../../partners/registry.js';
import type { PartnerId } from '../../domain/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Auth } from './auth.js';
import { ApiError } from './errors.js';

/** What every route needs. */
/**
 * A step's backlog bound. Users held unsent live in the step workflow's memory and history, and
 * wait: 50,000 is seconds of one step's sending (bench/notes.md). Past it, the journey engine
 * keeps them (it retries the 503) instead of the worker.
 */
export const DEFAULT_MAX_PENDING_USERS = 50_000;

export interface ApiContext {
  client: Client;
  /** The workflows' task queue (steps, connections and workspaces run there). */
  taskQueue: string;
  /** The partners this service knows (ids, labels, definitions). */
  registry: PartnerRegistry;
  /** The API version each partner speaks here, and its sunset. */
  apiVersions: Record<string, ApiVersionInForce>;
  /** The adapters it runs, with the deployment's limits. */
  partners: Partial<Record<PartnerId, PartnerAdapter>>;
  auth: Auth;
  /** Signs OAuth states. */
  stateSecret: string;
  /** Where partners send the browser back: `<publicUrl>/v1/oauth/<partner>/callback`. */
  publicUrl: string;
  metrics?: Metrics;
  /** Back-pressure: a step holding this many users not yet sent takes no more until it catches up. */
  maxPendingUsersPerStep: number;
}

/** The adapter of a partner this deployment runs, or 400 naming the path parameter. */
export function partnerOf(ctx: ApiContext, partner: string): PartnerAdapter {
  // Own keys only: `__proto__` or `constructor` in the path must not find Object's members.
  const a = Object.hasOwn(ctx.partners, partner) ? ctx.partners[partner] : undefined;
  if (!a) {
    throw new ApiError(400, 'invalid_request', `Unknown partner "${partner.slice(0, 40)}".`, [
      { field: 'partner', message: `must be one of ${Object.keys(ctx.partners).join(', ')}` },
    ]);
  }
  return a;
}
