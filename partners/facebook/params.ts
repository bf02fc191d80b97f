/**
 * The params each Graph call accepts, as Meta's business SDK lists them (conformance/edges.json)
 * plus Graph's own modifiers; the sandbox answers #100 to any other, and to an enum value the
 * SDK does not list. Graph publishes no wording for an unknown param: the message is ours, the
 * code and shape Meta's.
 */
import EDGES from './conformance/edges.json' with { type: 'json' };
import OAUTH from './conformance/oauth.json' with { type: 'json' };

interface Edge {
  method: string;
  path: string;
  params: Record<string, string>;
  enums: Record<string, string[]>;
  modifiers: string[];
}

const ALL = [...EDGES.edges, ...OAUTH.edges] as unknown as Edge[];
const MODIFIERS = Object.keys(EDGES.modifiers.types);

/** The call `method path` names (`/act_{id}`, `/{id}/users` …), or undefined. */
export const graphEdge = (method: string, path: string): Edge | undefined =>
  ALL.find((e) => e.method === method && e.path === path);

/** The #100 message for the first param `edge` does not accept (or whose value is not one it lists). */
export function paramProblem(edge: Edge, params: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(params)) {
    if (name === 'access_token') continue;
    const type = edge.params[name];
    if (type === undefined && !(edge.modifiers.includes(name) && MODIFIERS.includes(name)))
      return `(#100) Param ${name} is not a parameter of this call`;
    const values = type && edge.enums[type.replace(/^list<(.*)>$/, '$1')];
    if (values) {
      const given: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
      const bad = given.find((v) => typeof v !== 'string' || !values.includes(v));
      if (bad !== undefined) return `(#100) Param ${name} must be one of {${values.join(', ')}}`;
    }
  }
  return undefined;
}
