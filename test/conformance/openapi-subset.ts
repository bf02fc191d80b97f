/**
 * Cuts a self-contained OpenAPI subset: the named operations and every component they reach
 * through `$ref` or a discriminator's mapping, with where it came from in `info.x-subset-of`.
 * Refreshes a partner's conformance fixture (docs/partners.md, "Conformance"):
 *
 *   npx tsx test/conformance/openapi-subset.ts <spec.yaml|json> <out.json> <owner/repo> <path> <commit> "GET /path" ...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

type Node = Record<string, unknown>;

export function subset(spec: Node, operations: string[], source: Node): Node {
  const components = (spec.components ?? {}) as Record<string, Record<string, unknown>>;
  const paths = spec.paths as Record<string, Node>;
  const out: Node = {
    openapi: spec.openapi,
    info: { ...(spec.info as Node), 'x-subset-of': source },
    servers: spec.servers,
    paths: {},
    components: {},
  };
  const outPaths = out.paths as Record<string, Node>;
  const outComponents = out.components as Record<string, Record<string, unknown>>;
  for (const op of operations) {
    const [method, path] = op.split(' ') as [string, string];
    const item = paths[path];
    const operation = item?.[method.toLowerCase()];
    if (!operation) throw new Error(`The spec has no ${op}.`);
    const target = (outPaths[path] ??= item.parameters ? { parameters: item.parameters } : {});
    target[method.toLowerCase()] = operation;
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    const refs = [n.$ref, ...Object.values((n.discriminator as { mapping?: Node } | undefined)?.mapping ?? {})];
    for (const ref of refs) {
      const m = typeof ref === 'string' ? /^#\/components\/([^/]+)\/(.+)$/.exec(ref) : null;
      if (!m || outComponents[m[1]!]?.[m[2]!]) continue;
      const found = components[m[1]!]?.[m[2]!];
      if (found === undefined) throw new Error(`Dangling ${String(ref)}.`);
      (outComponents[m[1]!] ??= {})[m[2]!] = found;
      walk(found);
    }
    Object.values(n).forEach(walk);
  };
  walk(out.paths);
  return out;
}

if (process.argv[1]?.endsWith('openapi-subset.ts')) {
  const [specFile, outFile, repo, path, commit, ...operations] = process.argv.slice(2);
  if (!specFile || !outFile || !repo || !path || !commit || !operations.length)
    throw new Error('usage: openapi-subset.ts <spec> <out.json> <owner/repo> <path> <commit> "METHOD /path"...');
  const spec = parse(readFileSync(specFile, 'utf8')) as Node;
  writeFileSync(outFile, `${JSON.stringify(subset(spec, operations, { repo, path, commit }), null, 2)}\n`);
}
