/**
 * What each partner accepts and allows: PARTNERS.md's product rules, as data. The sync engine
 * gets the request size from here (through the launch activity); the API validates fields
 * and lists partners from here; the sandbox keeps its own copy on purpose.
 */
import type { Field, PartnerId, PartnerLimits } from '../../workflows/types.js';

/** Who a partner's request rate is counted for: one connection, one ad account, or the whole app. */
export type RateLimitScope = 'connection' | 'adAccount' | 'app';

export interface PartnerCapabilities extends PartnerLimits {
  id: PartnerId;
  requestsPerSecond: number;
  rateLimitScope: RateLimitScope;
  /** Identifier fields the partner matches on (API.md names). */
  fields: Field[];
  /** Fields that only count together (LinkedIn matches names as a pair). */
  fieldPairs: [Field, Field][];
  canRemove: boolean;
  /** How many of `fields` one audience can hold (Pinterest lists hold one kind of identifier). */
  maxFieldsPerAudience?: number;
  /** Below this many members the partner shows no size (a warning, never enforced). */
  minimumAudienceSize?: number;
}

export const CAPABILITIES: Record<PartnerId, PartnerCapabilities> = {
  linkedin: {
    id: 'linkedin',
    maxUsersPerRequest: 5_000,
    requestsPerSecond: 10,
    rateLimitScope: 'connection',
    fields: ['email', 'gaid', 'firstName', 'lastName'],
    fieldPairs: [['firstName', 'lastName']],
    canRemove: true,
    createsAudienceWithFirstRecords: false,
    minimumAudienceSize: 300,
  },
  facebook: {
    id: 'facebook',
    maxUsersPerRequest: 10_000,
    requestsPerSecond: 10,
    rateLimitScope: 'adAccount',
    fields: ['email', 'phone', 'firstName', 'lastName', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: true,
    createsAudienceWithFirstRecords: false,
  },
  pinterest: {
    id: 'pinterest',
    maxUsersPerRequest: 1_900,
    requestsPerSecond: 6,
    rateLimitScope: 'connection',
    fields: ['email', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: true,
    createsAudienceWithFirstRecords: true,
    maxFieldsPerAudience: 1,
    minimumAudienceSize: 100,
  },
  tiktok: {
    id: 'tiktok',
    maxUsersPerRequest: 10_000,
    requestsPerSecond: 10,
    rateLimitScope: 'app',
    fields: ['email', 'phone', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: false,
    createsAudienceWithFirstRecords: false,
    minimumAudienceSize: 1_000,
  },
};
