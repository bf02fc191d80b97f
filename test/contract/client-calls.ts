/**
 * The API tests' calls (test/integration/api.test.ts, test/helpers/api.ts), made through a client
 * typed from the document alone: openapi-fetch over the types openapi-typescript generates
 * (test/contract/generate-client.ts). `npm run typecheck` compiles it: a path, parameter, body
 * or answer field the document does not describe as the API takes and answers it fails there,
 * and so does a bad request the API refuses (400) that the document would let through
 * (`@ts-expect-error`). test/contract/client.test.ts runs it against the service.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/openapi.js';

type Step = components['schemas']['Step'];
type ErrorBody = components['schemas']['Error'];
type UsersBody =
  paths['/v1/canvases/{canvasId}/steps/{stepId}/users']['post']['requestBody']['content']['application/json'];
type LaunchBody = paths['/v1/canvases/{canvasId}/steps/{stepId}']['put']['requestBody']['content']['application/json'];

export interface Walkthrough {
  step: Step;
  steps: string[];
  usersAccepted: number;
  /** Every error answer's code, in call order. */
  errors: string[];
}

/** A client of the API at `baseUrl` carrying `key` (none: the routes that take none). */
export const clientOf = (baseUrl: string, key?: string) =>
  createClient<paths>({ baseUrl, headers: key ? { authorization: `Bearer ${key}` } : {} });

/** The README walk-through and the errors of API.md, as typed calls. `token`: one the sandbox issued. */
export async function walkthrough(baseUrl: string, adminKey: string, token: string): Promise<Walkthrough> {
  const admin = clientOf(baseUrl, adminKey);
  const created = await admin.POST('/v1/workspaces', { body: { name: 'typed client' } });
  if (!created.data) throw new Error(`POST /v1/workspaces: ${created.response.status}`);
  const key: string = created.data.apiKey;
  const api = clientOf(baseUrl, key);
  const errors: string[] = [];
  const failed = (e: ErrorBody | undefined) => void (e && errors.push(e.error.code));

  const partners = await clientOf(baseUrl).GET('/v1/partners');
  const ids: ('linkedin' | 'facebook' | 'pinterest' | 'tiktok')[] = partners.data?.partners.map((p) => p.id) ?? [];
  const maxUsers: number | undefined = partners.data?.partners[0]?.maxUsersPerRequest;
  void [ids, maxUsers];

  // OAuth: our authorize answers 302 to the partner's page (no body).
  const authorize = await api.GET('/v1/connections/{partner}/authorize', {
    params: { path: { partner: 'pinterest' }, query: { redirectUri: 'https://app.example/connected' } },
    redirect: 'manual',
  });
  if (authorize.response.status !== 302) throw new Error(`authorize: ${authorize.response.status}`);
  // A callback with a state this API never issued.
  const forged = await clientOf(baseUrl).GET('/v1/oauth/{partner}/callback', {
    params: { path: { partner: 'linkedin' }, query: { code: 'x', state: `${'a'.repeat(40)}.${'b'.repeat(43)}` } },
  });
  failed(forged.error);

  // Connect by token, select an ad account, read the connections.
  const put = await api.PUT('/v1/connections/{partner}', {
    params: { path: { partner: 'linkedin' } },
    body: { accessToken: token },
  });
  const status: 'connected' | 'invalid_token' | 'disconnected' | undefined = put.data?.status;
  void status;
  const selected = await api.PUT('/v1/connections/{partner}/ad-accounts', {
    params: { path: { partner: 'linkedin' } },
    body: { adAccountIds: ['501'] },
  });
  const adAccounts: { id: string; name: string; selected: boolean }[] = selected.data?.adAccounts ?? [];
  void adAccounts;
  const unknown = await api.PUT('/v1/connections/{partner}/ad-accounts', {
    params: { path: { partner: 'linkedin' } },
    body: { adAccountIds: ['999'] },
  });
  failed(unknown.error);
  const connections = await api.GET('/v1/connections');
  const connectedAt: string | null | undefined = connections.data?.connections[0]?.connectedAt;
  void connectedAt;
  failed((await api.GET('/v1/connections/{partner}', { params: { path: { partner: 'tiktok' } } })).error);

  // Launch: refused with every reason, then launched (201) and relaunched (200).
  const path = { canvasId: 'typed', stepId: 'step-1' };
  const refused = await api.PUT('/v1/canvases/{canvasId}/steps/{stepId}', {
    params: { path: { canvasId: 'typed', stepId: 'tiktok' } },
    body: {
      partner: 'tiktok',
      adAccountId: '7001',
      audience: { name: 'x', create: true },
      action: 'remove',
      fields: ['email'],
    },
  });
  const reasons: (string | undefined)[] = refused.error?.error.details?.map((d) => d.code) ?? [];
  void reasons;
  failed(refused.error);
  const launchBody: LaunchBody = {
    partner: 'linkedin',
    adAccountId: '501',
    audience: { name: 'typed', create: true },
    action: 'add',
    fields: ['email'],
    consent: { requireAdTracking: false },
  };
  const launched = await api.PUT('/v1/canvases/{canvasId}/steps/{stepId}', { params: { path }, body: launchBody });
  if (!launched.data) throw new Error(`launch: ${launched.response.status} ${JSON.stringify(launched.error)}`);
  const audienceId: string | null = launched.data.audience.id;
  void audienceId;
  await api.PUT('/v1/canvases/{canvasId}/steps/{stepId}', {
    params: { path },
    body: { ...launchBody, lastStep: false },
  });

  // Users: accepted, a retry with the same key, and the 400 / 413 refusals.
  const users = [
    { id: 'u1', email: 'Ada@Example.com', attributes: { plan: 'pro', seats: 3, trial: false } },
    { id: 'u2' },
  ];
  const posted = await api.POST('/v1/canvases/{canvasId}/steps/{stepId}/users', {
    params: { path },
    body: { users, idempotencyKey: 'batch-1' },
  });
  const usersAccepted = posted.data?.accepted ?? 0;
  const notSynced: number | undefined = posted.data?.notSynced;
  void notSynced;
  const empty = await api.POST('/v1/canvases/{canvasId}/steps/{stepId}/users', {
    params: { path },
    body: { users: [] },
  });
  failed(empty.error);
  const tooMany = await api.POST('/v1/canvases/{canvasId}/steps/{stepId}/users', {
    params: { path },
    body: { users: Array.from({ length: 10_001 }, (_, i) => ({ id: `u${i}` })) },
  });
  failed(tooMany.error);

  // The step, its timeline, the workspace's steps; then stop it.
  const step = await api.GET('/v1/canvases/{canvasId}/steps/{stepId}', { params: { path } });
  if (!step.data) throw new Error(`GET step: ${step.response.status}`);
  const missing: number | undefined = step.data.reasons.notSynced.missing_fields;
  const warnings: { code: string; message: string }[] | undefined = step.data.warnings;
  void [missing, warnings];
  const timeline = await api.GET('/v1/canvases/{canvasId}/steps/{stepId}/timeline', { params: { path } });
  const bucketMinutes: 5 | undefined = timeline.data?.bucketMinutes;
  const entered: number[] = timeline.data?.buckets.map((b) => b.entered) ?? [];
  void [bucketMinutes, entered];
  const listed = await api.GET('/v1/steps');
  failed(
    (await api.GET('/v1/canvases/{canvasId}/steps/{stepId}', { params: { path: { canvasId: 'c', stepId: 'never' } } }))
      .error,
  );
  const stopped = await api.DELETE('/v1/canvases/{canvasId}/steps/{stepId}', { params: { path } });
  if (stopped.response.status !== 202) throw new Error(`stop: ${stopped.response.status}`);
  failed((await api.POST('/v1/canvases/{canvasId}/steps/{stepId}/users', { params: { path }, body: { users } })).error);

  // Disconnect; the codec; health and the document itself.
  const deleted = await api.DELETE('/v1/connections/{partner}', { params: { path: { partner: 'linkedin' } } });
  if (deleted.response.status !== 204) throw new Error(`disconnect: ${deleted.response.status}`);
  const decoded = await clientOf(baseUrl).POST('/codec/decode', { body: { payloads: [{ metadata: {}, data: '' }] } });
  const payloads: { metadata?: Record<string, string>; data?: string }[] = decoded.data?.payloads ?? [];
  void payloads;
  const health = await clientOf(baseUrl).GET('/healthz');
  const up: 'up' | undefined = health.data?.temporal;
  void up;
  const doc = await clientOf(baseUrl).GET('/openapi.json');
  void doc.data;
  failed((await clientOf(baseUrl).POST('/v1/workspaces', { body: { name: 'x' } })).error);

  return { step: step.data, steps: listed.data?.steps.map((s) => s.stepId) ?? [], usersAccepted, errors };
}

/** The 400s of the API tests that the document refuses too: each must fail to compile. */
export function refusedByTheDocument(baseUrl: string, key: string): Promise<unknown>[] {
  const api = clientOf(baseUrl, key);
  const params = { path: { canvasId: 'c', stepId: 'bad' } };
  const launch = (body: LaunchBody) => api.PUT('/v1/canvases/{canvasId}/steps/{stepId}', { params, body });
  const ok = { partner: 'linkedin', adAccountId: '501', audience: { name: 'x', create: true }, action: 'add' } as const;
  const users = (body: UsersBody) => api.POST('/v1/canvases/{canvasId}/steps/{stepId}/users', { params, body });
  return [
    // @ts-expect-error an unknown partner
    launch({ ...ok, partner: 'myspace', fields: ['email'] }),
    // @ts-expect-error an unknown field name
    launch({ ...ok, fields: ['fax'] }),
    // @ts-expect-error an ad account id that is not a string
    launch({ ...ok, adAccountId: 501, fields: ['email'] }),
    // @ts-expect-error an unknown property
    launch({ ...ok, fields: ['email'], colour: 'red' }),
    // @ts-expect-error an email that is not a string
    users({ users: [{ id: 'a', email: 5 }] }),
    // @ts-expect-error a user without an id
    users({ users: [{ email: 'c@x.io' }] }),
    // @ts-expect-error a user with an unknown property
    users({ users: [{ id: 'b', shoeSize: 9 }] }),
    // @ts-expect-error a path the API does not serve
    api.GET('/v1/canvases/{canvasId}/steps', { params }),
    // @ts-expect-error a method the path does not serve (405)
    api.POST('/v1/partners', {}),
  ];
}
