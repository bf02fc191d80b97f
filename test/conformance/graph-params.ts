/**
 * Meta conformance: each recorded Graph request against the params its official business SDK
 * lists for that call (partners/facebook/conformance/edges.json, oauth.json), with their types and
 * enums, and `fields=` against the node's fields; each answer against the shapes of Meta's
 * reference (answers.json) and the node's field types.
 */
import Ajv from 'ajv';
import EDGES from '../../partners/facebook/conformance/edges.json' with { type: 'json' };
import OAUTH from '../../partners/facebook/conformance/oauth.json' with { type: 'json' };
import ANSWERS from '../../partners/facebook/conformance/answers.json' with { type: 'json' };
import type { Exchange } from '../../src/sandbox/recording.js';

interface Edge {
  method: string;
  path: string;
  params: Record<string, string>;
  enums: Record<string, string[]>;
  fieldsOf: string | null;
  modifiers: string[];
}
interface Node {
  fields: string[];
  field_types: Record<string, string>;
}

const MODIFIER_TYPES = EDGES.modifiers.types as Record<string, string>;
const NODES = EDGES.nodes as Record<string, Node>;

const pathPattern = (p: string) => new RegExp(`^${p.replace('act_{id}', 'act_[0-9]+').replace('{id}', '[0-9]+')}$`);

/** Whether `value` (JSON, or a query string's text) is of the SDK's `type`. */
function ofType(type: string, value: unknown, enums: Record<string, string[]>): boolean {
  const list = type.match(/^list<(.*)>$/)?.[1];
  if (list) {
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
    return !!items && items.every((v) => ofType(list, v, enums));
  }
  if (enums[type]) return typeof value === 'string' && enums[type].includes(value);
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean' || value === 'true' || value === 'false';
    case 'int':
    case 'unsigned int': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      return Number.isInteger(n) && (type === 'int' || (n as number) >= 0);
    }
    case 'Object':
    case 'map':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false;
  }
}

/** A JSON Schema for a node's answer: only its SDK fields, each of its SDK type. */
function nodeSchema(node: Node): Record<string, unknown> {
  const json = (t: string): Record<string, unknown> => {
    if (t === 'string') return { type: 'string' };
    if (t === 'bool') return { type: 'boolean' };
    if (t === 'int' || t === 'unsigned int') return { type: 'integer' };
    if (t.startsWith('list<')) return { type: 'array' };
    if (t.startsWith('map<'))
      return { type: 'object', additionalProperties: json(t.slice(4, -1).split(',')[1]!.trim()) };
    if (t === 'CustomAudienceStatus')
      return {
        type: 'object',
        required: ['code', 'description'],
        additionalProperties: false,
        properties: { code: { type: 'integer', minimum: 0 }, description: { type: 'string' } },
      };
    return { type: 'object' };
  };
  return {
    type: 'object',
    // Graph always answers a node's id; a node without one (a Permission) has none to answer.
    required: node.fields.includes('id') ? ['id'] : [],
    additionalProperties: false,
    properties: Object.fromEntries(node.fields.map((f) => [f, json(node.field_types[f] ?? 'object')])),
  };
}

/** The SDK's users payload (customaudiencemixin.format_params): a list schema needs is_raw true. */
function payloadProblems(payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const known = ['schema', 'is_raw', 'data', 'app_ids', 'page_ids'];
  for (const k of Object.keys(payload)) if (!known.includes(k)) problems.push(`payload.${k} is not a payload key`);
  if (Array.isArray(payload.schema) && payload.is_raw !== true)
    problems.push('payload.is_raw must be true with a multi-key schema');
  if (!Array.isArray(payload.data)) problems.push('payload.data is not a list');
  return problems;
}

export function graphChecker() {
  const ajv = new Ajv({ allErrors: true });
  const schemas = Object.fromEntries(Object.entries(ANSWERS.schemas).map(([k, s]) => [k, ajv.compile(s)])) as Record<
    keyof typeof ANSWERS.schemas,
    Ajv.ValidateFunction
  >;
  const nodes = Object.fromEntries(Object.entries(NODES).map(([k, n]) => [k, ajv.compile(nodeSchema(n))]));
  const edges = ([...EDGES.edges, ...OAUTH.edges] as unknown as Edge[]).map((e) => ({ e, re: pathPattern(e.path) }));
  const explain = (what: string, v: Ajv.ValidateFunction) =>
    (v.errors ?? []).map((err) => `${what}${err.dataPath} ${err.message} ${JSON.stringify(err.params)}`);

  return {
    check(x: Exchange): string[] {
      const path = x.path.replace(/^\/v\d+\.\d+(?=\/)/, '');
      const where = `${x.method} ${x.path}`;
      const found = edges.find(({ e, re }) => e.method === x.method && re.test(path))?.e;
      if (!found) return [`${where}: the SDK lists no such call`];
      const problems: string[] = [];
      const say = (p: string) => problems.push(`${where}: ${p}`);
      const body = x.body && typeof x.body === 'object' ? (x.body as Record<string, unknown>) : {};
      for (const [name, value] of Object.entries({ ...x.query, ...body })) {
        if (name === 'access_token') continue;
        const type = found.params[name] ?? (found.modifiers.includes(name) ? MODIFIER_TYPES[name] : undefined);
        if (!type) say(`param ${name} is not one the SDK lists for this call`);
        else if (!ofType(type, value, found.enums))
          say(`param ${name}=${JSON.stringify(value)} is not of type ${type}`);
      }
      if (found.fieldsOf && typeof x.query.fields === 'string') {
        for (const f of x.query.fields.split(','))
          if (!NODES[found.fieldsOf]!.fields.includes(f)) say(`field ${f} is not a ${found.fieldsOf} field`);
      }
      if (found.path === '/{id}/users' && body.payload && typeof body.payload === 'object')
        payloadProblems(body.payload as Record<string, unknown>).forEach(say);

      // The answer.
      if (x.status >= 400) {
        if (!schemas.error(x.response)) explain(`${x.status} answer`, schemas.error).forEach(say);
        return problems;
      }
      if (found.path === '/dialog/oauth') return problems;
      const one = (v: Ajv.ValidateFunction, value: unknown, what = 'answer') => {
        if (!v(value)) explain(what, v).forEach(say);
      };
      if (found.path === '/oauth/access_token') one(schemas.token, x.response);
      else if (found.path === '/{id}/users') one(schemas.users, x.response);
      else if (found.method === 'POST') one(schemas.created, x.response);
      else if (found.path !== '/act_{id}' && found.path !== '/{id}') {
        // An edge (not a node read) answers a page of its nodes.
        one(schemas.list, x.response);
        for (const [i, item] of ((x.response as { data?: unknown[] })?.data ?? []).entries())
          one(nodes[found.fieldsOf!]!, item, `data[${i}]`);
      } else one(nodes[found.fieldsOf!]!, x.response);
      return problems;
    },
  };
}
