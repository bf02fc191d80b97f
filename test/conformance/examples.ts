/**
 * LinkedIn publishes no machine-readable description, only request and response examples in its
 * docs. This turns the examples kept in partners/linkedin/conformance/ into JSON Schemas and checks
 * recorded exchanges against them.
 *
 * Derivation (documented in partners/linkedin/conformance/README.md): every key an example shows
 * is a property, typed as its value is (integers apart from other numbers); a key every example
 * of that object shows is required; no other key is allowed; array items are derived from all
 * their elements together. A fixture's `derivation` then names, with its reason, what the examples
 * cannot say: `removed` keys (no longer in LinkedIn's schema), `optional` ones, `extra` ones (named
 * by the docs' field tables), `enum` values and `pattern`s. Paths are dotted, `[]` for an array's
 * items; `response:` addresses the answer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import Ajv from 'ajv';
import type { Exchange } from '../../src/sandbox/recording.js';

type Schema = Record<string, unknown>;

export interface Derivation {
  removed?: string[];
  optional?: string[];
  extra?: Record<string, Schema>;
  enum?: Record<string, string[]>;
  pattern?: Record<string, string>;
}

export interface ExampleFixture {
  file: string;
  operation: { method?: string; path?: string; headers?: Record<string, string>; form?: boolean };
  source: Record<string, unknown>;
  request?: { query?: Record<string, string>[]; body?: unknown[] };
  response: { status?: number; examples: unknown[]; idHeader?: string[] };
  errorExamples?: unknown[];
  derivation?: Derivation;
}

const typeOf = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'integer'
          : 'number'
        : typeof v;

/** A JSON Schema for every value in `examples`, with `rules` applied at `path`. */
export function deriveSchema(examples: unknown[], rules: Derivation = {}, path = ''): Schema {
  const at = (p: string) => (path ? `${path}.${p}` : p);
  const types = [...new Set(examples.map(typeOf))];
  let schema: Schema;
  if (!types.length) {
    // An empty array in an example says nothing of its items.
    schema = {};
  } else if (types.length === 1 && types[0] === 'object') {
    const objects = examples as Record<string, unknown>[];
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))].filter((k) => !rules.removed?.includes(at(k)));
    const properties: Record<string, Schema> = {};
    for (const k of keys)
      properties[k] = deriveSchema(
        objects.filter((o) => k in o).map((o) => o[k]),
        rules,
        at(k),
      );
    for (const [p, s] of Object.entries(rules.extra ?? {})) {
      const parent = p.slice(0, p.lastIndexOf('.') + 1);
      if (parent === (path ? `${path}.` : '') && !p.slice(parent.length).includes('.'))
        properties[p.slice(parent.length)] = s;
    }
    const required = keys.filter((k) => objects.every((o) => k in o) && !rules.optional?.includes(at(k)));
    schema = { type: 'object', properties, required, additionalProperties: false };
  } else if (types.length === 1 && types[0] === 'array') {
    schema = { type: 'array', items: deriveSchema((examples as unknown[][]).flat(), rules, `${path}[]`) };
  } else {
    // A `{{placeholder}}` in an example says only that a string goes there.
    schema = { type: types.length === 1 ? types[0] : types };
  }
  if (rules.enum?.[path]) schema = { ...schema, enum: rules.enum[path] };
  if (rules.pattern?.[path]) schema = { ...schema, pattern: rules.pattern[path] };
  return schema;
}

/** `derivation` with only the paths under `prefix` (the answer's rules: `response:…`), the prefix dropped. */
function scoped(d: Derivation | undefined, response: boolean): Derivation {
  const pick = <T>(m: Record<string, T> | undefined) =>
    Object.fromEntries(
      Object.entries(m ?? {})
        .filter(([k]) => k.startsWith('response:') === response)
        .map(([k, v]) => [k.replace(/^response:/, ''), v]),
    );
  const list = (l: string[] | undefined) =>
    (l ?? []).filter((k) => k.startsWith('response:') === response).map((k) => k.replace(/^response:/, ''));
  // Rules without a prefix name request paths, but also hold for the answer where they fit.
  return {
    removed: [...list(d?.removed), ...(response ? (d?.removed ?? []) : [])],
    optional: [...list(d?.optional), ...(response ? (d?.optional ?? []) : [])],
    extra: pick(d?.extra),
    enum: { ...(response ? d?.enum : {}), ...pick(d?.enum) },
    pattern: { ...(response ? d?.pattern : {}), ...pick(d?.pattern) },
  };
}

export interface Checker {
  /** Every way one exchange departs from the examples (empty: it conforms). */
  check(e: Exchange): string[];
  fixtures: ExampleFixture[];
}

const FIXTURES = new URL('../../partners/linkedin/conformance/', import.meta.url);

export function loadLinkedInFixtures(): ExampleFixture[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map(
      (file) => ({ file, ...(JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as object) }) as ExampleFixture,
    );
}

/** The headers LinkedIn requires on every `/rest` call (learn.microsoft.com …/versioning; the DMP pages for Rest.li 2.0). */
const REST_HEADERS: Record<string, RegExp> = {
  authorization: /^Bearer \S+$/,
  'linkedin-version': /^\d{4}(0[1-9]|1[0-2])$/,
  'x-restli-protocol-version': /^2\.0\.0$/,
};

export function linkedinChecker(fixtures = loadLinkedInFixtures()): Checker {
  const ajv = new Ajv({ allErrors: true });
  const validator = (schema: Schema) => ajv.compile(schema);
  const errors = fixtures.find((f) => f.file === 'errors.json')!;
  const restError = validator(deriveSchema(errors.response.examples, scoped(errors.derivation, true)));
  const ops = fixtures
    .filter((f) => f.operation.method)
    .map((f) => {
      const req = scoped(f.derivation, false);
      const res = scoped(f.derivation, true);
      return {
        f,
        path: new RegExp(`^${f.operation.path!.replace(/\{\w+\}/g, '[^/]+')}$`),
        query: f.request?.query ? validator(deriveSchema(f.request.query, req)) : undefined,
        body: f.request?.body ? validator(deriveSchema(f.request.body, req)) : undefined,
        answer: f.response.examples.length ? validator(deriveSchema(f.response.examples, res)) : undefined,
        error: f.errorExamples ? validator(deriveSchema(f.errorExamples)) : restError,
      };
    });
  const explain = (what: string, v: Ajv.ValidateFunction) =>
    (v.errors ?? []).map((err) => `${what}${err.dataPath} ${err.message} ${JSON.stringify(err.params)}`);

  return {
    fixtures,
    check(e) {
      const where = `${e.method} ${e.path}`;
      const op = ops.find((o) => o.f.operation.method === e.method && o.path.test(e.path));
      if (!op) return [`${where}: no LinkedIn example describes this call`];
      const problems: string[] = [];
      const say = (p: string[]) => problems.push(...p.map((x) => `${where}: ${x}`));
      if (e.path.startsWith('/rest/')) {
        for (const [h, re] of Object.entries({ ...REST_HEADERS, ...exact(op.f.operation.headers) }))
          if (!re.test(e.headers[h] ?? '')) say([`header ${h} is ${JSON.stringify(e.headers[h] ?? null)}`]);
      }
      if (op.f.operation.form && !e.contentType?.startsWith('application/x-www-form-urlencoded'))
        say([`sent as ${e.contentType ?? 'nothing'}, not a form`]);
      if (op.query && !op.query(e.query)) say(explain('query', op.query));
      if (!op.query && Object.keys(e.query).length) say([`query ${JSON.stringify(e.query)} where none is shown`]);
      // A request refused before its body was read (token, throttle) has none recorded.
      const read = e.body !== undefined || e.status < 400;
      if (op.body && read && !op.body(e.body)) say(explain('body', op.body));
      const ok = e.status >= 200 && e.status < 400;
      if (ok && op.f.response.status !== undefined && e.status !== op.f.response.status)
        say([`answered ${e.status}, the docs show ${op.f.response.status}`]);
      if (ok && op.answer && !op.answer(e.response)) say(explain('answer', op.answer));
      if (ok && !op.answer && e.response !== undefined) say([`answered a body where the docs show none`]);
      if (!ok && !op.error(e.response)) say(explain(`${e.status} answer`, op.error));
      return problems;
    },
  };
}

const exact = (h: Record<string, string> | undefined): Record<string, RegExp> =>
  Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, new RegExp(`^${v}$`, 'i')]));
