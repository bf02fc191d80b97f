/**
 * Every route of docs/api.md with its auth, body, query and answers — the one table the router is
 * checked against and `GET /openapi.json` is generated from.
 */
import { z } from 'zod';
import { CodecBody } from './routes/codec.js';
import { PARTNER_REGISTRY } from '../../partners/registry.js';
import * as s from './schemas.js';

export type Auth = 'admin' | 'workspace' | 'operator' | 'none';

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  redirect?: boolean;
  /** Answered with `Retry-After` (a 503 the client should retry). */
  retryAfter?: boolean;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: `/v1/connections/{partner}`. */
  path: string;
  operationId: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status → what it means, and its body (error answers use the error envelope). */
  responses: Record<number, ResponseDoc>;
}

const err = (description: string, more: Partial<ResponseDoc> = {}) => ({ description, schema: s.ErrorBody, ...more });
const unauthorized = { 401: err('Missing or unknown key (`unauthorized`).') };
const badRequest = { 400: err('Malformed request (`invalid_request`): `details` names each bad field.') };
const retry = 'retry (after `Retry-After` when given)';
const unavailable = {
  503: err(`Temporal is unreachable or busy (\`unavailable\`), answered within 5 s; ${retry}.`, { retryAfter: true }),
};
/** What any request with a JSON body can get before its route sees it. */
const bodyErrors = {
  400: err('Malformed request (`invalid_request`): not JSON, or `details` names each bad field.'),
  413: err('The body is over 16 MB (`payload_too_large`).'),
  415: err('The body is not UTF-8 JSON (`unsupported_media_type`).'),
};
/** Node's parser refuses a request line and headers over 16 KB, before any route (client-errors.ts). */
const tooLong = { 431: err('The request line and headers are over 16 KB (`invalid_request`).') };
const noConnection = { 404: err('The workspace has no such connection (`not_connected`).') };
const partnerDown = { 502: err('The partner did not answer as expected (`partner_unavailable`); try again.') };
const noStep = { 404: err('The step was never launched in this workspace (`step_not_found`).') };

const step = '/v1/canvases/{canvasId}/steps/{stepId}';

export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/workspaces',
    operationId: 'createWorkspace',
    summary: 'Create a workspace (admin key); its API key is in the answer, once.',
    auth: 'admin',
    body: s.CreateWorkspace,
    responses: {
      201: { description: 'Created.', schema: s.Workspace },
      ...bodyErrors,
      ...unauthorized,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/partners',
    operationId: 'listPartners',
    summary: 'The partners, their limits and the fields they match on.',
    auth: 'none',
    responses: { 200: { description: 'The partners.', schema: s.Partners } },
  },
  {
    method: 'get',
    path: '/v1/connections/{partner}/authorize',
    operationId: 'authorizeConnection',
    summary: "Redirects to the partner's consent page with a signed, single-use state.",
    auth: 'workspace',
    query: s.AuthorizeQuery,
    responses: {
      302: { description: "To the partner's OAuth page.", redirect: true },
      ...badRequest,
      ...unauthorized,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/oauth/{partner}/callback',
    operationId: 'oauthCallback',
    summary:
      "The OAuth callback: exchanges the code (`code`, or TikTok's `auth_code`: one of them is required), stores the token, lists the ad accounts.",
    auth: 'none',
    query: s.CallbackQuery,
    responses: {
      200: { description: 'Connected.', schema: s.ConnectionBody },
      302: { description: 'Connected; back to the redirectUri given at authorize.', redirect: true },
      400: err(
        'Bad, used or expired state (`invalid_state`), a code the partner refused (`invalid_code`), or a malformed query (`invalid_request`); `details` names the field.',
      ),
      ...partnerDown,
      ...unavailable,
    },
  },
  {
    method: 'put',
    path: '/v1/connections/{partner}',
    operationId: 'putConnectionToken',
    summary: 'Connect with a token directly; on an invalid connection this is a reconnect.',
    auth: 'workspace',
    body: s.PutToken,
    responses: {
      200: { description: 'Connected.', schema: s.ConnectionBody },
      ...bodyErrors,
      ...unauthorized,
      422: err('The partner refused the token (`token_invalid`).'),
      ...partnerDown,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/connections',
    operationId: 'listConnections',
    summary: "The workspace's connections.",
    auth: 'workspace',
    responses: { 200: { description: 'Connections.', schema: s.Connections }, ...unauthorized, ...unavailable },
  },
  {
    method: 'get',
    path: '/v1/connections/{partner}',
    operationId: 'getConnection',
    summary: 'One connection.',
    auth: 'workspace',
    responses: {
      200: { description: 'The connection.', schema: s.ConnectionBody },
      ...badRequest,
      ...unauthorized,
      ...noConnection,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/connections/{partner}/check',
    operationId: 'checkConnection',
    summary:
      "Preflight: read-only partner calls with the connection's token (token, scopes, API version, each selected ad account); changes nothing.",
    auth: 'workspace',
    responses: {
      200: { description: 'Every check, each ok or not with what to do.', schema: s.ConnectionCheck },
      ...badRequest,
      ...unauthorized,
      ...noConnection,
      ...unavailable,
    },
  },
  {
    method: 'put',
    path: '/v1/connections/{partner}/ad-accounts',
    operationId: 'selectAdAccounts',
    summary: 'Select the ad accounts steps may use.',
    auth: 'workspace',
    body: s.SelectAdAccounts,
    responses: {
      200: { description: 'The connection.', schema: s.ConnectionBody },
      ...bodyErrors,
      ...unauthorized,
      ...noConnection,
      422: err('An id is not an ad account of this connection (`unknown_ad_account`).'),
      ...unavailable,
    },
  },
  {
    method: 'delete',
    path: '/v1/connections/{partner}',
    operationId: 'deleteConnection',
    summary: 'Disconnect: steps using it pause as on an invalid token.',
    auth: 'workspace',
    responses: {
      204: { description: 'Disconnected.' },
      ...badRequest,
      ...unauthorized,
      ...noConnection,
      ...unavailable,
    },
  },
  {
    method: 'put',
    path: step,
    operationId: 'launchStep',
    summary:
      'Launch (201) or relaunch (200) a step; 422 lists every reason it cannot run. `dryRun=true`: what a launch would do, changing nothing.',
    auth: 'workspace',
    body: s.LaunchStep,
    query: s.LaunchQuery,
    responses: {
      200: {
        description: 'Relaunched (a Step); with `dryRun=true`, what the launch would do (a DryRunLaunch).',
        schema: z.union([s.Step, s.DryRunLaunch]),
      },
      201: { description: 'Launched.', schema: s.Step },
      ...bodyErrors,
      ...unauthorized,
      409: err('The step is stopped (`step_stopped`).'),
      422: err(
        '`launch_refused`: `details` has one `{code, message, field?}` per reason (`not_connected`, `token_invalid`, ' +
          '`ad_account_not_selected`, `audience_name_required`, `no_match_fields`, `field_not_supported`, ' +
          '`remove_not_supported`, `audience_limit_reached`, `terms_not_accepted`, `value_based_audience_unsupported`, ' +
          '`audience_not_found`, `audience_create_failed`, `audience_restricted`).',
      ),
      ...partnerDown,
      ...unavailable,
    },
  },
  {
    method: 'post',
    path: `${step}/users`,
    operationId: 'postUsers',
    summary: 'Users entering the step: classified and hashed here, accepted once Temporal has recorded them.',
    auth: 'workspace',
    body: s.PostUsers,
    responses: {
      202: { description: 'Durably recorded.', schema: s.UsersAccepted },
      ...bodyErrors,
      ...unauthorized,
      ...noStep,
      409: err('The step is stopped (`step_stopped`).'),
      413: err('Over 16 MB (`payload_too_large`) or over 10,000 users (`too_many_users`); nothing was recorded.'),
      503: err(
        `Temporal is unreachable or busy, or the step holds too many users not yet sent (\`unavailable\`); nothing was recorded: ${retry}.`,
        { retryAfter: true },
      ),
    },
  },
  {
    method: 'get',
    path: step,
    operationId: 'getStep',
    summary: 'The step: config, state, metrics, reasons, warnings.',
    auth: 'workspace',
    responses: {
      200: { description: 'The step.', schema: s.Step },
      ...badRequest,
      ...unauthorized,
      ...noStep,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: `${step}/timeline`,
    operationId: 'getStepTimeline',
    summary: 'Entered, synced, not synced and errored per 5-minute bucket over the last 48 hours.',
    auth: 'workspace',
    responses: {
      200: { description: 'The timeline (only buckets in which something happened).', schema: s.Timeline },
      ...badRequest,
      ...unauthorized,
      ...noStep,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/steps',
    operationId: 'listSteps',
    summary:
      "The workspace's launched steps with their partner and state (Temporal's visibility: seconds behind at most).",
    auth: 'workspace',
    responses: { 200: { description: 'The steps.', schema: s.StepList }, ...unauthorized, ...unavailable },
  },
  {
    method: 'delete',
    path: step,
    operationId: 'stopStep',
    summary: 'Stop taking users; pending users are still sent, then the step is stopped.',
    auth: 'workspace',
    responses: { 202: { description: 'Stopping.' }, ...badRequest, ...unauthorized, ...noStep, ...unavailable },
  },
  ...(['decode', 'encode'] as const).map((op): RouteDoc => ({
    method: 'post',
    path: `/codec/${op}`,
    operationId: `codec${op === 'decode' ? 'Decode' : 'Encode'}`,
    summary: `The Temporal Web UI codec endpoint: ${op}s payloads (operator key; loopback needs none in sandbox mode).`,
    auth: 'operator',
    body: CodecBody,
    responses: {
      200: { description: `The payloads, ${op}d.`, schema: CodecBody },
      ...bodyErrors,
      400: err(
        'Malformed request (`invalid_request`: not JSON, or `details` names each bad field), or a payload that cannot be decoded (`invalid_payload`).',
      ),
      401: err('Not the operator key (`unauthorized`).'),
    },
  })),
  {
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    summary: 'Up when the API can reach Temporal.',
    auth: 'none',
    responses: {
      200: { description: 'Healthy.', schema: s.Health },
      503: err('Temporal is not reachable (`unavailable`).'),
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This document.',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1.', schema: z.record(z.string(), z.unknown()) } },
  },
];

/** Express path of a documented route: `{x}` → `:x`. */
export const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

type JsonSchema = { [key: string]: unknown };

/**
 * The schemas of one document: zod's `$defs` (the schemas named with `.meta({ id })`) hoisted into
 * `components/schemas` and every `$ref` pointed there, so the document holds all it refers to.
 * A request body's named schemas are `<id>Input` (zod's input side: defaults optional, unknown
 * keys as the parser takes them); an answer's are `<id>`.
 */
class Schemas {
  readonly components: Record<string, JsonSchema> = {};

  of(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, { io }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const { $schema: _, $defs = {}, ...root } = generated;
    const name = (id: string) => (io === 'input' ? `${id}Input` : id);
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (node === null || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [
          k,
          k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
            ? `#/components/schemas/${name(v.slice('#/$defs/'.length))}`
            : rewrite(v),
        ]),
      );
    };
    for (const [id, def] of Object.entries($defs)) {
      const hoisted = rewrite(def) as JsonSchema;
      const known = this.components[name(id)];
      if (known && JSON.stringify(known) !== JSON.stringify(hoisted)) {
        throw new Error(`Two different schemas are named ${name(id)}`);
      }
      this.components[name(id)] = hoisted;
    }
    return rewrite(root) as JsonSchema;
  }
}

export interface DocumentOptions {
  /** Sandbox mode: the codec routes answer callers without a key (all of them are on loopback). */
  codecKeyOptional?: boolean;
  /** The registered partners (default: the ones `npm start` runs): a partner id is one of them. */
  partnerIds?: string[];
}

/** The OpenAPI 3.1 document of ROUTES: self-contained, and as strict as the API's validation. */
export function openApiDocument(options: DocumentOptions = {}, routes: RouteDoc[] = ROUTES): Record<string, unknown> {
  const schemas = new Schemas();
  const json = (schema: z.ZodType, io: 'input' | 'output') => ({
    'application/json': { schema: schemas.of(schema, io) },
  });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: schemas.of(m[1] === 'partner' ? s.PartnerId : s.Id, 'input'),
    }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: schemas.of(schema as z.ZodType, 'input'),
        }))
      : [];
    (paths[r.path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.auth === 'none' ? { security: [] } : {}),
      ...(r.auth === 'operator' && options.codecKeyOptional ? { security: [{ bearer: [] }, {}] } : {}),
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body ? { requestBody: { required: true, content: json(r.body, 'input') } } : {}),
      responses: Object.fromEntries(
        Object.entries({ ...r.responses, ...tooLong }).map(([status, d]) => [
          status,
          {
            description: d.description,
            ...(d.redirect || d.retryAfter ? { headers: headersOf(d) } : {}),
            ...(d.schema ? { content: json(d.schema, 'output') } : {}),
          },
        ]),
      ),
    };
  }
  // The API takes any id of a partner's form and refuses unregistered ones by name; the document lists them.
  const partnerId = {
    type: 'string',
    enum: options.partnerIds ?? PARTNER_REGISTRY.ids,
    description: 'A registered partner.',
  };
  for (const name of ['PartnerId', 'PartnerIdInput'])
    if (schemas.components[name]) schemas.components[name] = partnerId;
  return {
    openapi: '3.1.0',
    info: {
      title: 'audience-sync',
      version: '1.0.0',
      description: 'Every error answer is `{"error": {"code", "message", "details"?}}` (components/schemas/Error).',
    },
    components: {
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function headersOf(d: ResponseDoc): Record<string, unknown> {
  return {
    ...(d.redirect ? { Location: { required: true, schema: { type: 'string' }, description: 'Where to go.' } } : {}),
    ...(d.retryAfter
      ? { 'Retry-After': { schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'Seconds to wait.' } }
      : {}),
  };
}
