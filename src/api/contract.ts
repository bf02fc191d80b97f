/**
 * Every route of docs/api.md with its auth, body, query and answers — the one table the router is
 * checked against and `GET /openapi.json` is generated from.
 */
import { z } from 'zod';
import { CodecBody } from './routes/codec.js';
import * as s from './schemas.js';

export type Auth = 'admin' | 'workspace' | 'operator' | 'none';

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: `/v1/connections/{partner}`. */
  path: string;
  summary: string;
  auth: Auth;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status → what it means, and its body (error answers use the error envelope). */
  responses: Record<number, { description: string; schema?: z.ZodType; redirect?: boolean }>;
}

const err = (description: string) => ({ description, schema: s.ErrorBody });
const unauthorized = { 401: err('Missing or unknown key (`unauthorized`).') };
const badRequest = { 400: err('Malformed request (`invalid_request`), naming each bad field.') };
const unavailable = { 503: err('Temporal is unreachable or busy (`unavailable`), answered within 5 s; retry.') };
const noConnection = { 404: err('The workspace has no such connection (`not_connected`).') };
const partnerDown = { 502: err('The partner did not answer as expected (`partner_unavailable`); try again.') };
const noStep = { 404: err('The step was never launched in this workspace (`step_not_found`).') };

const step = '/v1/canvases/{canvasId}/steps/{stepId}';

export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/workspaces',
    summary: 'Create a workspace (admin key); its API key is in the answer, once.',
    auth: 'admin',
    body: s.CreateWorkspace,
    responses: {
      201: { description: 'Created.', schema: s.Workspace },
      ...badRequest,
      ...unauthorized,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/partners',
    summary: 'The partners, their limits and the fields they match on.',
    auth: 'none',
    responses: { 200: { description: 'The partners.', schema: s.Partners } },
  },
  {
    method: 'get',
    path: '/v1/connections/{partner}/authorize',
    summary: "Redirects to the partner's consent page with a signed, single-use state.",
    auth: 'workspace',
    query: s.AuthorizeQuery,
    responses: {
      302: { description: "To the partner's OAuth page.", redirect: true },
      ...badRequest,
      ...unauthorized,
    },
  },
  {
    method: 'get',
    path: '/v1/oauth/{partner}/callback',
    summary: 'The OAuth callback: exchanges the code, stores the token, lists the ad accounts.',
    auth: 'none',
    query: s.CallbackQuery,
    responses: {
      200: { description: 'Connected.', schema: s.ConnectionBody },
      302: { description: 'Connected; back to the redirectUri given at authorize.', redirect: true },
      400: err('Bad, used or expired state (`invalid_state`), or a code the partner refused (`invalid_code`).'),
      ...partnerDown,
      ...unavailable,
    },
  },
  {
    method: 'put',
    path: '/v1/connections/{partner}',
    summary: 'Connect with a token directly; on an invalid connection this is a reconnect.',
    auth: 'workspace',
    body: s.PutToken,
    responses: {
      200: { description: 'Connected.', schema: s.ConnectionBody },
      ...badRequest,
      ...unauthorized,
      422: err('The partner refused the token (`token_invalid`).'),
      ...partnerDown,
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/connections',
    summary: "The workspace's connections.",
    auth: 'workspace',
    responses: { 200: { description: 'Connections.', schema: s.Connections }, ...unauthorized, ...unavailable },
  },
  {
    method: 'get',
    path: '/v1/connections/{partner}',
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
    method: 'put',
    path: '/v1/connections/{partner}/ad-accounts',
    summary: 'Select the ad accounts steps may use.',
    auth: 'workspace',
    body: s.SelectAdAccounts,
    responses: {
      200: { description: 'The connection.', schema: s.ConnectionBody },
      ...badRequest,
      ...unauthorized,
      ...noConnection,
      422: err('An id is not an ad account of this connection (`unknown_ad_account`).'),
      ...unavailable,
    },
  },
  {
    method: 'delete',
    path: '/v1/connections/{partner}',
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
    summary: 'Launch (201) or relaunch (200) a step; 422 lists every reason it cannot run.',
    auth: 'workspace',
    body: s.LaunchStep,
    responses: {
      200: { description: 'Relaunched.', schema: s.Step },
      201: { description: 'Launched.', schema: s.Step },
      ...badRequest,
      ...unauthorized,
      409: err('The step is stopped (`step_stopped`).'),
      422: err('`launch_refused`; `details` has one `{code, message}` per reason.'),
      ...unavailable,
    },
  },
  {
    method: 'post',
    path: `${step}/users`,
    summary: 'Users entering the step: classified and hashed here, accepted once Temporal has recorded them.',
    auth: 'workspace',
    body: s.PostUsers,
    responses: {
      202: { description: 'Durably recorded.', schema: s.UsersAccepted },
      ...badRequest,
      ...unauthorized,
      ...noStep,
      409: err('The step is stopped (`step_stopped`).'),
      413: err('Over 16 MB (`payload_too_large`) or over 10,000 users (`too_many_users`).'),
      ...unavailable,
    },
  },
  {
    method: 'get',
    path: step,
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
    summary:
      "The workspace's launched steps with their partner and state (Temporal's visibility: seconds behind at most).",
    auth: 'workspace',
    responses: { 200: { description: 'The steps.', schema: s.StepList }, ...unauthorized, ...unavailable },
  },
  {
    method: 'delete',
    path: step,
    summary: 'Stop taking users; pending users are still sent, then the step is stopped.',
    auth: 'workspace',
    responses: { 202: { description: 'Stopping.' }, ...badRequest, ...unauthorized, ...noStep, ...unavailable },
  },
  ...(['decode', 'encode'] as const).map((op): RouteDoc => ({
    method: 'post',
    path: `/codec/${op}`,
    summary: `The Temporal Web UI codec endpoint: ${op}s payloads (operator key; loopback needs none in sandbox mode).`,
    auth: 'operator',
    body: CodecBody,
    responses: {
      200: { description: `The payloads, ${op}d.`, schema: CodecBody },
      ...badRequest,
      401: err('Not the operator key (`unauthorized`).'),
    },
  })),
  {
    method: 'get',
    path: '/healthz',
    summary: 'Up when the API can reach Temporal.',
    auth: 'none',
    responses: { 200: { description: 'Healthy.', schema: s.Health }, ...unavailable },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document.',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1.' } },
  },
];

/** Express path of a documented route: `{x}` → `:x`. */
export const expressPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

const json = (schema: z.ZodType) => ({ 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } });

/** The OpenAPI 3.1 document of ROUTES. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: m[1] === 'partner' ? z.toJSONSchema(s.PartnerId) : z.toJSONSchema(s.Id),
    }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: z.toJSONSchema(schema as z.ZodType, { io: 'input' }),
        }))
      : [];
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      ...(r.auth === 'none' ? { security: [] } : {}),
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body ? { requestBody: { required: true, content: json(r.body) } } : {}),
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, d]) => [
          status,
          { description: d.description, ...(d.schema ? { content: json(d.schema) } : {}) },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'audience-sync', version: '1.0.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
