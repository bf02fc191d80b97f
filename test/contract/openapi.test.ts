/**
 * `GET /openapi.json` as tools take it, over real sockets: valid OpenAPI 3.1 with every `$ref`
 * inside it (@readme/openapi-parser, which client generators' parsers descend from); a documented
 * path asked with a method it does not serve is 405 with `Allow`; and the typed client made from
 * the document (test/contract/client-calls.ts) makes the API tests' calls against the service.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, ROUTES } from '../../src/api/contract.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ADMIN_KEY, newWorkspace, startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';
import { walkthrough } from './client-calls.js';

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  api = await startApiStack(env, sandbox);
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

/** Every `$ref` in `node`. */
const refsOf = (node: unknown): string[] =>
  Array.isArray(node)
    ? node.flatMap(refsOf)
    : node !== null && typeof node === 'object'
      ? Object.entries(node).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsOf(v)))
      : [];

describe('openapi.json', () => {
  it('is valid OpenAPI 3.1, served and in sandbox mode, every $ref pointing into it', async () => {
    const served = await api.call('GET', '/openapi.json');
    expect(served.status).toBe(200);
    for (const doc of [served.body, openApiDocument({ codecKeyOptional: true })]) {
      const result = await validate(structuredClone(doc));
      expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
      expect(result.warnings).toEqual([]);
      const refs = refsOf(doc);
      expect(refs.length).toBeGreaterThan(10);
      for (const ref of refs) {
        expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
        expect(doc.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
      }
    }
  });

  it('declares the error envelope for every 4xx and 5xx, and 431 everywhere', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses), `${method} ${path}`).toContain('431');
        for (const [status, answer] of Object.entries<any>(op.responses)) {
          if (Number(status) < 400) continue;
          expect(answer.content['application/json'].schema, `${method} ${path} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
        }
      }
    }
  });

  it('says what the validation says: no repeated or missing field, no blank audience, no unknown key', () => {
    const doc = openApiDocument() as any;
    const launch =
      doc.paths['/v1/canvases/{canvasId}/steps/{stepId}'].put.requestBody.content['application/json'].schema;
    expect(launch.additionalProperties).toBe(false);
    expect(launch.properties.fields).toMatchObject({ uniqueItems: true, minItems: 1 });
    expect(launch.properties.audience.anyOf.map((a: any) => a.properties.id ?? a.properties.name)).toEqual([
      expect.objectContaining({ pattern: '\\S' }),
      expect.objectContaining({ pattern: '\\S' }),
    ]);
    const users =
      doc.paths['/v1/canvases/{canvasId}/steps/{stepId}/users'].post.requestBody.content['application/json'];
    expect(users.schema.properties.users).toMatchObject({ minItems: 1, maxItems: 10_000 });
    expect(users.schema.properties.users.items.additionalProperties).toBe(false);
  });
});

describe('405', () => {
  const OTHERS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
  const concrete = (path: string) =>
    path.replace('{partner}', 'linkedin').replace('{canvasId}', 'c').replace('{stepId}', 's');

  it('answers a documented path asked with a method it does not serve with 405, Allow and the envelope', async () => {
    const key = await newWorkspace(api, 'allow');
    const served = new Map<string, string[]>();
    for (const r of ROUTES) served.set(r.path, [...(served.get(r.path) ?? []), r.method.toUpperCase()]);
    let asked = 0;
    for (const [path, methods] of served) {
      const allow = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'].filter(
        (m) => methods.includes(m) || (m === 'HEAD' && methods.includes('GET')) || m === 'OPTIONS',
      );
      for (const method of OTHERS.filter((m) => !methods.includes(m))) {
        // With a key, without one, and with a body that is not JSON: the method is what is wrong.
        const tries: [string | undefined, string | undefined][] = [
          [key, undefined],
          [undefined, undefined],
        ];
        if (method !== 'GET') tries.push([key, '{"x": ']);
        for (const [k, body] of tries) {
          const res = await api.call(method, concrete(path), k, body);
          const label = `${method} ${path}`;
          expect(res.status, label).toBe(405);
          expect(res.headers.get('allow'), label).toBe(allow.join(', '));
          expect(res.body, label).toEqual({ error: { code: 'method_not_allowed', message: expect.any(String) } });
          asked++;
        }
      }
    }
    expect(asked).toBeGreaterThan(100);
    // As Express routes: a trailing slash and other case are the same path; HEAD is GET's.
    expect((await api.call('POST', '/V1/Partners/')).status).toBe(405);
    expect((await api.call('HEAD', '/v1/partners')).status).toBe(200);
    // OPTIONS is Express's: 200 with the same methods in `Allow` (its own order).
    const options = await api.call('OPTIONS', '/v1/connections/linkedin');
    expect([options.status, options.headers.get('allow')?.split(', ').sort()]).toEqual([
      200,
      ['DELETE', 'GET', 'HEAD', 'PUT'],
    ]);
    // Not a documented path: still 404.
    expect((await api.call('POST', '/v1/nothing')).body.error.code).toBe('not_found');
    expect((await api.call('POST', '/v1/connections/linkedin/extra')).status).toBe(404);
  });
});

describe('the typed client', () => {
  it("makes the API tests' calls, typed from the document alone, with the answers it declares", async () => {
    const result = await walkthrough(api.url, ADMIN_KEY, sandbox.state.newToken());
    expect(result.errors).toEqual([
      'invalid_state',
      'unknown_ad_account',
      'not_connected',
      'launch_refused',
      'invalid_request',
      'too_many_users',
      'step_not_found',
      'step_stopped',
      'unauthorized',
    ]);
    expect(result.step).toMatchObject({ canvasId: 'typed', stepId: 'step-1', partner: 'linkedin', action: 'add' });
    expect(result.usersAccepted).toBe(2);
  });

  it('answers every 4xx for bad input naming where it is', async () => {
    const key = await newWorkspace(api, 'fields');
    const step = '/v1/canvases/c/steps/s';
    const cases: [string, string, string | undefined, unknown, string][] = [
      ['PUT', step, key, '{"partner": ', '(body)'],
      [
        'PUT',
        step,
        key,
        { partner: 'tiktok', adAccountId: '1', audience: { name: ' ', create: true }, action: 'add', fields: [] },
        'audience.name',
      ],
      [
        'PUT',
        step,
        key,
        { partner: 'linkedin', adAccountId: '1', audience: { id: 'a' }, action: 'add', fields: ['email', 'email'] },
        'fields',
      ],
      ['POST', `${step}/users`, key, { users: Array.from({ length: 10_001 }, (_, i) => ({ id: `u${i}` })) }, 'users'],
      ['PUT', '/v1/connections/linkedin', key, { accessToken: 'not\u2603ascii' }, 'accessToken'],
      ['PUT', '/v1/connections/linkedin', key, { accessToken: 'never-issued' }, 'accessToken'],
      ['GET', '/v1/connections/linkedin/authorize?redirectUri=https%3A%2F%2F%C3%8F', key, undefined, 'redirectUri'],
      ['GET', '/v1/oauth/linkedin/callback?code=x&state=a.b', undefined, undefined, 'state'],
      ['GET', '/v1/connections/myspace', key, undefined, 'partner'],
      ['GET', '/v1/canvases/a%20b/steps/s', key, undefined, 'canvasId'],
    ];
    for (const [method, path, k, body, field] of cases) {
      const res = await api.call(method, path, k, body);
      const label = `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`;
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
      expect(
        res.body.error.details?.map((d: { field?: string }) => d.field),
        label,
      ).toContain(field);
    }
    // A state unlike any this API issues is a bad state, as API.md names it.
    expect((await api.call('GET', '/v1/oauth/linkedin/callback?code=x&state=a%20b')).body.error.code).toBe(
      'invalid_state',
    );
    // Nothing of them was kept: no step, no connection.
    expect((await api.call('GET', step, key)).status).toBe(404);
    expect((await api.call('GET', '/v1/connections', key)).body).toEqual({ connections: [] });
  });
});
