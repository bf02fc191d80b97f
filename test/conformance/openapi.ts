/**
 * Checks recorded sandbox exchanges (src/sandbox/recording.ts) against a partner's published
 * description, written as OpenAPI 3.0: the request must be one of its operations, with its
 * parameters and body as the operation declares them; the answer must match the response the
 * operation declares for that status. Also reports fields, sent or answered, that the
 * description does not declare: a closed reading, so neither side can invent one.
 */
import Ajv from 'ajv';
import type { Exchange } from '../../src/sandbox/recording.js';

type Node = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Node;
  /** `content: {application/json: {schema}}`: the value is JSON text (TikTok's id lists). */
  content?: Record<string, { schema: Node }>;
}
interface Operation {
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Node }> };
  responses: Record<string, { content?: Record<string, { schema: Node }> }>;
}

export interface Checked {
  /** `METHOD /template` of the operation matched, when one was. */
  operation?: string;
  problems: string[];
  /** false when the stand-in answered before reading the body (its gateway: token, rate). */
  bodyChecked: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const pointer = (path: string[]) => `#/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

export function describedBy(description: Node) {
  const doc = structuredClone(description);
  addDiscriminators(doc);
  const ajv = new Ajv({ nullable: true, unknownFormats: 'ignore', allErrors: true, validateSchema: false });
  ajv.addSchema(doc, 'doc');
  const base = new URL((doc.servers as { url: string }[])[0]!.url).pathname.replace(/\/$/, '');
  const paths = doc.paths as Record<string, Node>;
  const templates = Object.keys(paths).map((t) => ({
    template: t,
    names: [...t.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
    re: new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '([^/]+)')}$`),
  }));

  const resolve = <T>(node: unknown): T => {
    let n = node as Node;
    while (typeof n?.$ref === 'string')
      n = n.$ref
        .slice(2)
        .split('/')
        .reduce<Node>((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')] as Node, doc);
    return n as T;
  };
  const validate = (at: string[], value: unknown, what: string): string[] => {
    const check = ajv.getSchema(`doc${pointer(at)}`);
    if (!check) return [`${what}: no schema at ${pointer(at)}`];
    // An if/then's own "should match then" repeats what the branch's errors already say.
    const errors = check(value)
      ? []
      : (check.errors ?? [])
          .filter((e) => e.keyword !== 'if')
          .map((e) => `${what}${e.dataPath} ${e.message ?? ''}`.trim());
    return [...errors, ...undeclared(resolve(getAt(doc, at)), value, what)];
  };
  /** Properties in `value` that no schema on its path declares (allOf/oneOf/anyOf merged). */
  const undeclared = (schema: Node, value: unknown, what: string): string[] => {
    schema = resolve(schema);
    if (Array.isArray(value)) {
      const items = allOf(schema).flatMap((s) => (s.items ? [s.items as Node] : []));
      return items.length ? value.flatMap((v, i) => undeclared({ allOf: items }, v, `${what}[${i}]`)) : [];
    }
    if (!value || typeof value !== 'object') return [];
    const parts = allOf(schema);
    if (parts.some((s) => s.additionalProperties !== undefined && s.additionalProperties !== false)) return [];
    const props = new Map<string, Node[]>();
    for (const s of parts)
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Node>))
        props.set(k, [...(props.get(k) ?? []), v]);
    if (!props.size) return []; // a free-form object ({type: object} alone)
    return Object.entries(value).flatMap(([k, v]) => {
      const declared = props.get(k);
      if (!declared) return [`${what}.${k} is not in the description`];
      return undeclared({ allOf: declared }, v, `${what}.${k}`);
    });
  };
  /** A schema with everything it composes, flattened (oneOf/anyOf members and if/then branches too: the closed reading unions them). */
  const allOf = (schema: Node): Node[] => {
    const s = resolve<Node>(schema);
    const nested = ['allOf', 'oneOf', 'anyOf'].flatMap((k) => (s[k] as Node[] | undefined) ?? []);
    const branches = ['then', 'else'].flatMap((k) => (s[k] ? [s[k] as Node] : []));
    const mapped = Object.values((s.discriminator as { mapping?: Node } | undefined)?.mapping ?? {});
    return [s, ...nested.flatMap(allOf), ...branches.flatMap(allOf), ...mapped.flatMap((ref) => allOf({ $ref: ref }))];
  };

  function check(e: Exchange): Checked {
    const problems: string[] = [];
    if (!e.path.startsWith(`${base}/`))
      return { problems: [`${e.method} ${e.path} is outside ${base}`], bodyChecked: false };
    const path = e.path.slice(base.length);
    const method = e.method.toLowerCase();
    let match: { template: string; params: Record<string, string> } | undefined;
    for (const t of templates) {
      const m = t.re.exec(path);
      if (m && METHODS.includes(method) && paths[t.template]![method])
        match = {
          template: t.template,
          params: Object.fromEntries(t.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])),
        };
    }
    if (!match) return { problems: [`${e.method} ${path} is not an operation of the description`], bodyChecked: false };
    const operation = `${e.method} ${match.template}`;
    const at = ['paths', match.template, method];
    const op = resolve<Operation>(getAt(doc, at));
    const itemParams = ((paths[match.template]!.parameters ?? []) as unknown[]).map((p) => resolve<Parameter>(p));
    const params = [...itemParams, ...(op.parameters ?? []).map((p) => resolve<Parameter>(p))];

    // Parameters: every one declared, each valid; the query holds nothing undeclared.
    const headers = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const p of params) {
      const raw =
        p.in === 'query'
          ? e.query[p.name]
          : p.in === 'path'
            ? match.params[p.name]
            : p.in === 'header'
              ? headers[p.name.toLowerCase()]
              : undefined;
      if (raw === undefined) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      const json = p.content?.['application/json'];
      const schema = json?.schema ?? p.schema ?? {};
      let value: unknown = raw;
      if (json) {
        try {
          value = JSON.parse(String(raw));
        } catch {
          problems.push(`${p.in} parameter ${p.name} is not JSON`);
          continue;
        }
      } else value = coerce(resolve(schema), raw);
      const v = ajv.compile(withBase(schema));
      if (!v(value))
        problems.push(...(v.errors ?? []).map((x) => `${p.in} parameter ${p.name}${x.dataPath} ${x.message ?? ''}`));
    }
    const declaredQuery = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
    for (const k of Object.keys(e.query))
      if (!declaredQuery.has(k)) problems.push(`query parameter ${k} is not in the description`);

    // Body.
    let bodyChecked = true;
    const media = e.contentType?.split(';')[0]!.trim().toLowerCase();
    if (op.requestBody) {
      if (e.body === undefined && media) bodyChecked = false;
      else if (e.body === undefined) {
        if (op.requestBody.required) problems.push('the request body is required');
      } else if (!media || !op.requestBody.content[media])
        problems.push(`request content type ${media ?? 'none'} is not declared`);
      else problems.push(...validate([...at, 'requestBody', 'content', media, 'schema'], e.body, 'request body'));
    } else if (e.body !== undefined && !(typeof e.body === 'object' && e.body && !Object.keys(e.body).length))
      problems.push('the operation takes no request body');

    // Answer: the response declared for the status (or its class, or the default).
    const status = String(e.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => op.responses[k]);
    if (!key) problems.push(`answer status ${status} is not declared`);
    else {
      const json = op.responses[key]!.content?.['application/json'];
      if (json)
        problems.push(
          ...validate(
            [...at, 'responses', key, 'content', 'application/json', 'schema'],
            e.response,
            `answer ${status}`,
          ),
        );
      else if (e.response !== undefined) problems.push(`answer ${status} has a body the description does not declare`);
    }
    return { operation, problems, bodyChecked };
  }
  /** An inline schema compiled where its `$ref`s still resolve into the document. */
  const withBase = (schema: Node): Node =>
    JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"doc#/')) as Node;

  return { check, base };
}

/** Query and path values are text: read as the declared scalar type before validating. */
function coerce(schema: Node, raw: string | string[]): unknown {
  if (Array.isArray(raw)) return raw.map((r) => coerce((schema.items as Node | undefined) ?? {}, r));
  if (schema.type === 'integer' || schema.type === 'number')
    return raw.trim() !== '' && !isNaN(Number(raw)) ? Number(raw) : raw;
  if (schema.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function getAt(doc: Node, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Node | undefined)?.[k], doc);
}

/**
 * OpenAPI's `discriminator` without `oneOf` (Pinterest's OAuth request and answer) selects the
 * schema by a property's value; JSON Schema needs that written out as if/then.
 */
function addDiscriminators(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(addDiscriminators);
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  const d = n.discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined;
  if (d?.mapping && !n.oneOf && !n.anyOf) {
    const rules = Object.entries(d.mapping).map(([value, ref]) => ({
      if: { properties: { [d.propertyName]: { enum: [value] } }, required: [d.propertyName] },
      then: { $ref: ref },
    }));
    n.allOf = [...((n.allOf as unknown[]) ?? []), ...rules];
  }
  Object.values(n).forEach(addDiscriminators);
}
