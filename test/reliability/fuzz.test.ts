/**
 * Fuzz: bad requests generated (fast-check) from the API's own `GET /openapi.json` — wrong
 * types, unknown and missing keys, huge and unicode strings, deep JSON, malformed JSON, bad ids
 * and keys — against the API over a real socket. Every one must get a 4xx with the error
 * envelope, never a 5xx; the server stays up, and nothing of them is kept.
 */
import fc from 'fast-check';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { ADMIN_KEY, startApiStack, type ApiStack } from '../helpers/api.js';
import { connectDevServer } from '../helpers/temporal.js';
import { FULL } from './budget.js';

const RUNS = FULL ? 10_000 : 1_500;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: Json[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  minLength?: number;
  minItems?: number;
  format?: string;
}
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query' }[];
  body?: JsonSchema;
  /** `security: []` in the document: the route takes no key. */
  public: boolean;
}

let env: TestWorkflowEnvironment;
let sandbox: RunningSandbox;
let api: ApiStack;
let key: string;
let operations: Operation[];

const STEP = '/v1/canvases/canvas-1/steps/step-1';

beforeAll(async () => {
  env = await connectDevServer();
  sandbox = await startSandbox('127.0.0.1', 0);
  api = await startApiStack(env, sandbox);
  key = (await api.call('POST', '/v1/workspaces', ADMIN_KEY, { name: 'fuzz' })).body.apiKey as string;
  // Something to leave untouched: a connection and a launched step with users in it.
  expect(
    (await api.call('PUT', '/v1/connections/linkedin', key, { accessToken: sandbox.state.newToken() })).status,
  ).toBe(200);
  await api.call('PUT', '/v1/connections/linkedin/ad-accounts', key, { adAccountIds: ['501'] });
  const launch = await api.call('PUT', STEP, key, {
    partner: 'linkedin',
    adAccountId: '501',
    audience: { name: 'fuzz', create: true },
    action: 'add',
    fields: ['email'],
  });
  expect(launch.status).toBe(201);
  const users = Array.from({ length: 10 }, (_, i) => ({ id: `u${i}`, email: `u${i}@example.com` }));
  expect((await api.call('POST', `${STEP}/users`, key, { users })).status).toBe(202);
  for (let i = 0; i < 100 && (await api.call('GET', STEP, key)).body.metrics.pending > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  operations = operationsOf((await api.call('GET', '/openapi.json')).body);
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await sandbox?.close();
  await env?.teardown();
});

/** Every operation of the document, its body schema with `$ref`s (into components/schemas) resolved. */
function operationsOf(doc: {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, JsonSchema> };
}): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const schema = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
      return {
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []) as Operation['params'],
        body: schema && resolve(schema, doc.components?.schemas ?? {}),
        public: Array.isArray(op.security) && op.security.length === 0,
      };
    }),
  );
}

function resolve(s: JsonSchema, defs: Record<string, JsonSchema>): JsonSchema {
  if (s.$ref) return resolve(defs[s.$ref.split('/').at(-1)!]!, defs);
  return {
    ...s,
    ...(s.properties && {
      properties: Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, resolve(v, defs)])),
    }),
    ...(s.items && { items: resolve(s.items, defs) }),
    ...(s.anyOf && { anyOf: s.anyOf.map((x) => resolve(x, defs)) }),
    ...(s.oneOf && { oneOf: s.oneOf.map((x) => resolve(x, defs)) }),
  };
}

/** A value the schema accepts (the base a mutation breaks in one place). */
function exampleOf(s: JsonSchema): Json {
  if (s.enum) return s.enum[0]!;
  const union = s.anyOf ?? s.oneOf;
  if (union) return exampleOf(union[0]!);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object':
      return Object.fromEntries((s.required ?? []).map((k) => [k, exampleOf(s.properties?.[k] ?? {})]));
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => exampleOf(s.items ?? {}));
    case 'string':
      return s.format === 'uri' ? 'https://example.com/' : 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      return 'x';
  }
}

/** A value of a JSON type the schema does not allow. */
function wrongTypeFor(s: JsonSchema): fc.Arbitrary<Json> {
  const allowed = new Set((Array.isArray(s.type) ? s.type : [s.type]).filter(Boolean));
  if (s.anyOf || s.oneOf || s.enum) allowed.add('string'); // a union or enum: a number never fits
  const kinds: [string, fc.Arbitrary<Json>][] = [
    ['string', fc.string({ unit: 'binary', maxLength: 40 })],
    ['number', fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.integer(), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 })],
  ];
  const fits = (k: string) => allowed.has(k) || (k === 'number' && allowed.has('integer'));
  return fc.oneof(...kinds.filter(([k]) => !fits(k)).map(([, a]) => a));
}

/** Just over the API's 16 MB body limit. */
const HUGE_BODY = JSON.stringify({ x: 'y'.repeat(16 * 1024 * 1024 + 1) });

const deepJson = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** Text: huge, unicode (lone surrogates and all), control characters, or path tricks. */
const nastyText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
  fc.constantFrom(
    '..',
    '%2e%2e',
    '%00',
    '%ff',
    'a b',
    '\u0000',
    '💥',
    'ﬀ',
    'x'.repeat(300),
    '__proto__',
    'constructor',
    'toString',
  ),
  fc.integer({ min: 257, max: 5_000 }).map((n) => 'é'.repeat(n)),
);

interface Case {
  op: Operation;
  path: string;
  /** A JSON text (or not) to send, or nothing. */
  text?: string;
  auth?: string;
  what: string;
}

/** A request to `op` that is wrong in at least one way the contract forbids. */
function badRequest(op: Operation): fc.Arbitrary<Case> {
  const pathWith = (values: Record<string, string>) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? valid(name)));
  const valid = (name: string) => ({ partner: 'linkedin', canvasId: 'canvas-1', stepId: 'step-1' })[name] ?? 'x';
  const pathNames = op.params.filter((p) => p.in === 'path').map((p) => p.name);
  const validBody = op.body ? JSON.stringify(exampleOf(op.body)) : undefined;

  const badIds = pathNames.length
    ? fc
        // `.` and `..` are dot segments: the URL itself drops them (RFC 3986), so no client can send one as a value.
        .record({ name: fc.constantFrom(...pathNames), value: nastyText.filter((v) => v !== '.' && v !== '..') })
        .map(({ name, value }) => ({ path: pathWith({ [name]: value }), text: validBody, what: `bad ${name}` }))
    : null;
  const badKey = op.public
    ? null
    : fc
        .oneof(
          fc.constant(undefined),
          nastyText.filter((t) => /^[\x21-\x7e]+$/.test(t)),
        )
        .map((auth) => ({
          path: pathWith({}),
          text: validBody,
          auth: auth ?? '',
          what: 'bad key',
        }));
  const body = op.body;
  const bodyCases: fc.Arbitrary<{ path: string; text: string; what: string }>[] = body
    ? [
        wrongTypeFor(body).map((v) => ({
          path: pathWith({}),
          text: JSON.stringify(v),
          what: 'body of the wrong type',
        })),
        fc
          .record({ k: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), v: fc.jsonValue() })
          .filter(({ k }) => !(k in (body.properties ?? {})))
          .map(({ k, v }) => ({
            path: pathWith({}),
            text: JSON.stringify({ ...(exampleOf(body) as object), [k]: v }),
            what: 'unknown key',
          })),
        fc.string({ unit: 'binary', maxLength: 200 }).map((t) => ({
          path: pathWith({}),
          text: `{${t}`,
          what: 'malformed JSON',
        })),
        fc.integer({ min: 1_000, max: 200_000 }).map((d) => ({
          path: pathWith({}),
          text: `{"${Object.keys(body.properties ?? { x: 0 })[0]}":${deepJson(d)}}`,
          what: `JSON nested ${d} deep`,
        })),
        fc.constant({ path: pathWith({}), text: HUGE_BODY, what: 'body over 16 MB' }),
      ]
    : [];
  for (const name of body?.required ?? []) {
    const prop = body!.properties?.[name] ?? {};
    bodyCases.push(
      wrongTypeFor(prop).map((v) => ({
        path: pathWith({}),
        text: JSON.stringify({ ...(exampleOf(body!) as object), [name]: v }),
        what: `${name} of the wrong type`,
      })),
      fc.constant({
        path: pathWith({}),
        text: JSON.stringify(
          Object.fromEntries(Object.entries(exampleOf(body!) as object).filter(([k]) => k !== name)),
        ),
        what: `${name} missing`,
      }),
    );
  }
  const queries = op.params.filter((p) => p.in === 'query');
  const badQuery = queries.length
    ? fc.record({ name: fc.constantFrom(...queries.map((q) => q.name)), value: nastyText }).map(({ name, value }) => ({
        path: `${pathWith({})}?${name}=${encodeURIComponent(value)}`,
        what: `bad ${name}`,
      }))
    : null;
  const options = [badIds, badKey, ...bodyCases, op.method === 'GET' && !pathNames.length ? null : badQuery].filter(
    (a): a is NonNullable<typeof a> => a !== null,
  );
  return fc.oneof(...options).map((c) => ({ op, auth: key, ...c }));
}

async function send(c: Case): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${c.path}`, {
    method: c.op.method,
    redirect: 'manual',
    headers: {
      ...(c.auth ? { authorization: `Bearer ${c.auth}` } : {}),
      ...(c.text !== undefined && c.op.method !== 'GET' ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.text !== undefined && c.op.method !== 'GET' ? { body: c.text } : {}),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** What a user could see of the workspace: its connections and the step. */
async function snapshot(): Promise<unknown> {
  const step = await api.call('GET', STEP, key);
  const connections = await api.call('GET', '/v1/connections', key);
  return { step: step.body, connections: connections.body };
}

/** Workflows the API started on its task queue (every workspace, connection, step, batch). */
async function workflowCount(): Promise<number> {
  return (await env.client.workflow.count(`TaskQueue = "${api.taskQueue}"`)).count;
}

describe('fuzz: bad requests from openapi.json', () => {
  it(`answers ${RUNS.toLocaleString('en-US')} generated bad requests with a 4xx and the error envelope, and keeps nothing`, async () => {
    // Operations a bad request can reach: those with something to get wrong (a key, a body, an id, a query).
    const fuzzable = operations.filter((op) => !op.public || op.body || op.params.length);
    expect(fuzzable.length).toBeGreaterThanOrEqual(12);
    const before = await snapshot();
    const workflowsBefore = await workflowCount();
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fuzzable).chain((op) => badRequest(op)),
        async (c) => {
          const { status, body } = await send(c);
          const label = `${c.op.method} ${c.op.path}: ${c.what} → ${status} ${JSON.stringify(body).slice(0, 200)}`;
          expect(status, label).toBeGreaterThanOrEqual(400);
          expect(status, label).toBeLessThan(500);
          expect(body, label).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          seen.set(`${c.op.method} ${c.op.path}`, (seen.get(`${c.op.method} ${c.op.path}`) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    // Every operation was reached, the server is up, and nothing of the requests was kept.
    expect(seen.size).toBe(fuzzable.length);
    expect((await api.call('GET', '/healthz')).status).toBe(200);
    expect(await snapshot()).toEqual(before);
    expect(await workflowCount()).toBe(workflowsBefore);
  }, 600_000);

  it('answers what Node refuses before the API sees it (a request line over 16 KB) with the envelope too', async () => {
    const res = await fetch(`${api.url}/v1/canvases/${'c'.repeat(20_000)}/steps/s`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/16 KB/) } });
    expect((await api.call('GET', '/healthz')).status).toBe(200);
  });
});
