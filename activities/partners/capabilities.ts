/**
 * What each partner accepts and allows: PARTNERS.md's product rules, as data. The sync engine
 * gets the request size from here (through the launch activity); the API validates fields
 * and lists partners from here; the sandbox keeps its own copy on purpose.
 */
import {
  RATE_LIMIT_SCOPE,
  type Field,
  type PartnerId,
  type PartnerLimits,
  type RateLimitScope,
} from '../../workflows/types.js';

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
    rateLimitScope: RATE_LIMIT_SCOPE.linkedin,
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
    rateLimitScope: RATE_LIMIT_SCOPE.facebook,
    fields: ['email', 'phone', 'firstName', 'lastName', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: true,
    createsAudienceWithFirstRecords: false,
  },
  pinterest: {
    id: 'pinterest',
    maxUsersPerRequest: 1_900,
    requestsPerSecond: 6,
    rateLimitScope: RATE_LIMIT_SCOPE.pinterest,
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
    rateLimitScope: RATE_LIMIT_SCOPE.tiktok,
    fields: ['email', 'phone', 'gaid', 'idfa'],
    fieldPairs: [],
    canRemove: false,
    createsAudienceWithFirstRecords: false,
    minimumAudienceSize: 1_000,
  },
};

/**
 * The product rules with a deployment's overrides from env — `<PARTNER>_USERS_PER_REQUEST` and
 * `<PARTNER>_REQUESTS_PER_SECOND` (e.g. a TikTok app on a higher tier: `TIKTOK_REQUESTS_PER_SECOND=50`).
 * A value that is not a positive number stops the start with the variable's name.
 */
export function capabilitiesFrom(env: NodeJS.ProcessEnv): Record<PartnerId, PartnerCapabilities> {
  const read = (name: string, fallback: number, whole: boolean): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n)))
      throw new Error(`${name} must be a positive ${whole ? 'whole ' : ''}number (got "${raw}")`);
    return n;
  };
  const entries = Object.values(CAPABILITIES).map((c): [PartnerId, PartnerCapabilities] => {
    const prefix = c.id.toUpperCase();
    return [
      c.id,
      {
        ...c,
        maxUsersPerRequest: read(`${prefix}_USERS_PER_REQUEST`, c.maxUsersPerRequest, true),
        requestsPerSecond: read(`${prefix}_REQUESTS_PER_SECOND`, c.requestsPerSecond, false),
      },
    ];
  });
  return Object.fromEntries(entries) as Record<PartnerId, PartnerCapabilities>;
}
