/**
 * What the engine, the API and the page need to know of a partner, as plain data. Each partner
 * declares these once, in its folder (partners/<id>/definition.ts); the registry hands them
 * out. Workflows get the parts they use through their inputs, never by importing a partner.
 */
import type { Field } from './types.js';

/**
 * Who a partner counts its request rate for: one connection (its member or user token), one ad
 * account whatever the token, or the whole app (every workspace together).
 */
export type RateLimitScope = 'connection' | 'adAccount' | 'app';

/** What a partner allows, as the launch activity reports it to the step. */
export interface PartnerLimits {
  maxUsersPerRequest: number;
  /** The audience can only be created together with its first records (Pinterest's lists). */
  createsAudienceWithFirstRecords: boolean;
  rateLimitScope: RateLimitScope;
}

export interface PartnerCapabilities extends PartnerLimits {
  id: string;
  requestsPerSecond: number;
  /** Identifier fields the partner matches on. */
  fields: Field[];
  /** Fields that only count together (LinkedIn matches names as a pair). */
  fieldPairs: [Field, Field][];
  /** Remove *steps* (the product refuses them on TikTok). */
  canRemove: boolean;
  /** How many of `fields` one audience can hold (a Pinterest list holds one kind of identifier). */
  maxFieldsPerAudience?: number;
  /** Below this many matched members the partner shows no size or will not target (a warning, never enforced). */
  minimumAudienceSize?: number;
}

/** The limits a step carries: what the batches are cut and keyed by. */
export const limitsOf = (c: PartnerCapabilities): PartnerLimits => ({
  maxUsersPerRequest: c.maxUsersPerRequest,
  createsAudienceWithFirstRecords: c.createsAudienceWithFirstRecords,
  rateLimitScope: c.rateLimitScope,
});
