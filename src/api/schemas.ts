/**
 * docs/api.md's bodies and answers as zod schemas: the handlers parse with them and `openapi.json`
 * is generated from them, so the contract is written once.
 */
import { z } from 'zod';
import { FIELDS } from '../../domain/types.js';

export const Id = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_" or "-"');
/** A partner's id; which ids exist is the registry's (an unknown one is a 400 naming `partner`). */
export const PartnerId = z
  .string()
  .regex(/^[a-z][a-z0-9]{1,30}$/, 'must be a partner id')
  .meta({ id: 'PartnerId' });
export const FieldName = z.enum(FIELDS);

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      /** One per problem: the field (and `index` inside `users`) it is in, or a launch reason's `code`. */
      details: z
        .array(
          z.object({
            field: z.string().optional(),
            index: z.number().int().min(0).optional(),
            code: z.string().optional(),
            message: z.string(),
          }),
        )
        .optional(),
    }),
  })
  .meta({ id: 'Error' });

// ── Workspaces ─────────────────────────────────────────────────────────────────────────────
export const CreateWorkspace = z.strictObject({
  name: z.string().max(200).regex(/\S/, 'must not be blank').trim(),
});
export const Workspace = z
  .object({ id: z.string(), name: z.string(), apiKey: z.string().describe('Shown once; stored only as a hash.') })
  .meta({ id: 'WorkspaceCreated' });

// ── Partners ───────────────────────────────────────────────────────────────────────────────
export const Partners = z
  .object({
    partners: z.array(
      z.object({
        id: PartnerId,
        label: z.string().describe('How people see the partner.'),
        maxUsersPerRequest: z.number().int(),
        requestsPerSecond: z.number(),
        fields: z.array(FieldName),
        canRemove: z.boolean(),
        apiVersion: z.string().nullable().describe('The partner API version in force; null where it versions by path.'),
        apiVersionSunsetAt: z.iso
          .date()
          .nullable()
          .describe('The day the partner stops serving that version; null where it publishes none.'),
        minimumAudienceSize: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'Partners' });

// ── Connections ────────────────────────────────────────────────────────────────────────────
export const AuthorizeQuery = z.object({
  // ASCII, as a URL is (RFC 3986): `https://Ï` would come back as a Location no browser can follow.
  // At most 2048 characters: the state carries it to the partner and back, within 16 KB.
  redirectUri: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .regex(/^https?:\/\/[\x21-\x7e]+$/, 'must be an http(s) URL of visible ASCII characters (percent-encode the rest)')
    .meta({ format: 'uri' })
    .optional(),
});
/**
 * An authorization code is visible ASCII (RFC 6749: VSCHAR); our state is base64url and a dot.
 * Bounded so that any valid callback fits Node's 16 KB request line, percent-encoded.
 */
const OAuthCode = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x20-\x7e]+$/, 'must be visible ASCII characters (an authorization code as the partner issued it)');
export const CallbackQuery = z
  .object({
    code: OAuthCode(2048).optional(),
    /** TikTok names its code `auth_code`. */
    auth_code: OAuthCode(1024).optional(),
    // Any other state is 400 invalid_state (API.md), as a forged one is: the document says what one looks like.
    state: z.string().min(1).max(4096).meta({ pattern: '^[A-Za-z0-9_.-]+$' }),
  })
  .refine((q) => q.code ?? q.auth_code, { message: 'code is required', path: ['code'] });
/** A token goes to the partner in a header: visible ASCII only (RFC 6750's token characters and more, no space). */
const Token = z
  .string()
  .min(1)
  .max(8192)
  .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters (a token as the partner issued it)');
export const PutToken = z.strictObject({
  accessToken: Token,
  refreshToken: Token.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export const SelectAdAccounts = z.strictObject({ adAccountIds: z.array(z.string().min(1).max(128)).max(1_000) });
export const ConnectionBody = z
  .object({
    partner: PartnerId,
    status: z.enum(['connected', 'invalid_token', 'disconnected']),
    adAccounts: z.array(z.object({ id: z.string(), name: z.string(), selected: z.boolean() })),
    connectedAt: z.string().nullable(),
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).optional(),
  })
  .meta({ id: 'Connection' });
export const Connections = z.object({ connections: z.array(ConnectionBody) }).meta({ id: 'Connections' });
/** GET /v1/connections/:partner/check: one entry per check, each with what to do when it fails. */
export const ConnectionCheck = z
  .object({
    partner: PartnerId,
    ok: z.boolean(),
    checks: z.array(
      z.object({
        code: z.string().meta({
          description:
            'token_valid, scopes_granted, api_version_accepted, or ad_account_usable:<id> per selected ad account',
        }),
        ok: z.boolean(),
        message: z.string(),
      }),
    ),
  })
  .meta({ id: 'ConnectionCheck' });

// ── Steps ──────────────────────────────────────────────────────────────────────────────────
export const Consent = z.strictObject({
  requireAdTracking: z.boolean().optional(),
  optInAttribute: z.string().min(1).max(128).optional(),
  excludeDoNotSell: z.boolean().optional(),
});
/** JSON Schema (ECMA-262) for "not empty once trimmed": what `String.prototype.trim` removes is `\s`. */
const NOT_BLANK = '\\S';
export const LaunchStep = z.strictObject({
  partner: PartnerId,
  adAccountId: z.string().min(1).max(128),
  // A blank audience name or id, and no fields, pass the shape check and are 422 reasons (API.md),
  // listed with every other reason; the document refuses them all the same (`meta`).
  audience: z.union([
    z.strictObject({ id: z.string().max(256).meta({ pattern: NOT_BLANK }) }),
    z.strictObject({ name: z.string().max(256).meta({ pattern: NOT_BLANK }), create: z.boolean() }),
  ]),
  action: z.enum(['add', 'remove']),
  fields: z
    .array(FieldName)
    .refine((f) => new Set(f).size === f.length, 'must not repeat a field')
    .meta({ uniqueItems: true, minItems: 1 }),
  lastStep: z.boolean().default(false),
  consent: Consent.optional(),
});

/** PUT …/steps/:stepId's query: `dryRun=true` answers what the launch would do, and does nothing. */
export const LaunchQuery = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'Answer what the launch would do; change nothing.' }),
});

const Count = z.number().int().min(0);
export const Step = z
  .object({
    canvasId: z.string(),
    stepId: z.string(),
    partner: PartnerId,
    adAccountId: z.string(),
    audience: z.object({ id: z.string().nullable(), name: z.string().nullable() }),
    action: z.enum(['add', 'remove']),
    fields: z.array(FieldName),
    lastStep: z.boolean(),
    consent: Consent.optional(),
    state: z.enum(['creating_audience', 'active', 'paused_invalid_token', 'stopping', 'stopped']),
    metrics: z.object({
      entered: Count,
      proceeded: Count,
      exited: Count,
      synced: Count,
      notSynced: Count,
      pending: Count,
      errored: Count,
    }),
    reasons: z.object({
      notSynced: z.object({ missing_fields: Count.optional(), no_consent: Count.optional() }),
      errored: z.object({
        token_invalid: Count.optional(),
        audience_deleted: Count.optional(),
        audience_restricted: Count.optional(),
        rejected: Count.optional(),
        invalid_identifier: Count.optional(),
        retries_exhausted: Count.optional(),
      }),
    }),
    warnings: z.array(z.object({ code: z.string(), message: z.string() })).optional(),
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).optional(),
  })
  .meta({ id: 'Step' });

/** A dry-run launch's answer: the audience the launch would use (`exists: false` = it would create it). */
export const DryRunLaunch = z
  .object({
    dryRun: z.literal(true),
    audience: z.object({ id: z.string().nullable(), name: z.string(), exists: z.boolean() }),
    warnings: z.array(z.object({ code: z.string(), message: z.string() })),
  })
  .meta({ id: 'DryRunLaunch' });

const StepState = Step.shape.state;

/** GET /v1/steps: the workspace's launched steps. */
export const StepList = z
  .object({
    steps: z.array(z.object({ canvasId: z.string(), stepId: z.string(), partner: PartnerId, state: StepState })),
  })
  .meta({ id: 'StepList' });

/** GET …/timeline: what happened per 5-minute bucket, last 48 hours (only buckets where something did). */
export const Timeline = z
  .object({
    bucketMinutes: z.literal(5),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    buckets: z.array(
      z.object({ at: z.iso.datetime(), entered: Count, synced: Count, notSynced: Count, errored: Count }),
    ),
  })
  .meta({ id: 'Timeline' });

/** At most this many users per POST (docs/api.md): more is 413 `too_many_users`. */
export const MAX_USERS_PER_REQUEST = 10_000;
const Text = z.string().max(1_024);
export const User = z.strictObject({
  id: z.string().min(1).max(256),
  email: Text.optional(),
  phone: Text.optional(),
  firstName: Text.optional(),
  lastName: Text.optional(),
  gaid: Text.optional(),
  idfa: Text.optional(),
  adTrackingEnabled: z.boolean().optional(),
  doNotSellOrShare: z.boolean().optional(),
  attributes: z.record(z.string().max(256), z.union([z.string().max(1_024), z.number(), z.boolean()])).optional(),
});
export const PostUsers = z.strictObject({
  users: z.array(User).min(1).max(MAX_USERS_PER_REQUEST),
  idempotencyKey: z.string().min(1).max(128).optional(),
});
export const UsersAccepted = z
  .object({ accepted: Count, notSynced: Count.describe('Of those accepted, the users never to be sent.') })
  .meta({ id: 'UsersAccepted' });

export const Health = z.object({ status: z.literal('ok'), temporal: z.literal('up') });
