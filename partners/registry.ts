/**
 * The partners this service runs: one line each. Everything that lists partners — config
 * validation, the API's enums, GET /v1/partners (and so the page's labels), the sandbox's
 * routes and stats, the worker's queues, the bench — derives from a registry. Base URLs and
 * secrets are configuration; the sandbox partners are the default.
 */
import type { PartnerCapabilities } from '../domain/partner.js';
import type { PartnerAdapter } from './adapter.js';
import type { PartnerDefinition, PartnerSettings } from './definition.js';
import { facebook } from './facebook/definition.js';
import { daysUntil } from './calendar.js';
import { partnerAgent } from './http.js';
import { linkedin } from './linkedin/definition.js';
import { pinterest } from './pinterest/definition.js';
import { tiktok } from './tiktok/definition.js';

export const DEFAULT_PARTNERS: readonly PartnerDefinition[] = [linkedin, facebook, pinterest, tiktok];

export interface PartnerEndpoints {
  /** Where the sandbox partners listen; each partner's default base URLs are below it. */
  sandboxUrl: string;
  env: NodeJS.ProcessEnv;
}

export class PartnerRegistry {
  private readonly byId = new Map<string, PartnerDefinition>();

  constructor(readonly definitions: readonly PartnerDefinition[]) {
    for (const d of definitions) {
      if (!/^[a-z][a-z0-9]{1,30}$/.test(d.id))
        throw new Error(`partner id "${d.id}" must be lowercase letters and digits`);
      if (this.byId.has(d.id)) throw new Error(`partner "${d.id}" is registered twice`);
      this.byId.set(d.id, d);
    }
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get(id: string): PartnerDefinition | undefined {
    return this.byId.get(id);
  }

  require(id: string): PartnerDefinition {
    const d = this.byId.get(id);
    if (!d) throw new Error(`no partner "${id}" is registered`);
    return d;
  }

  /** The prefix of a partner's own settings: `LINKEDIN_`. */
  static envPrefix(id: string): string {
    return `${id.toUpperCase()}_`;
  }

  /**
   * The product rules with a deployment's overrides — `<PARTNER>_USERS_PER_REQUEST` and
   * `<PARTNER>_REQUESTS_PER_SECOND` (e.g. a TikTok app on a higher tier: `TIKTOK_REQUESTS_PER_SECOND=50`).
   * A value that is not a positive number stops the start with the variable's name.
   */
  capabilities(env: NodeJS.ProcessEnv): Record<string, PartnerCapabilities> {
    const read = (name: string, fallback: number, whole: boolean): number => {
      const raw = env[name];
      if (raw === undefined || raw === '') return fallback;
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0 || (whole && !Number.isInteger(n)))
        throw new Error(`${name} must be a positive ${whole ? 'whole ' : ''}number (got "${raw}")`);
      return n;
    };
    return Object.fromEntries(
      this.definitions.map((d) => {
        const prefix = PartnerRegistry.envPrefix(d.id);
        const c = d.capabilities;
        return [
          d.id,
          {
            ...c,
            maxUsersPerRequest: read(`${prefix}USERS_PER_REQUEST`, c.maxUsersPerRequest, true),
            requestsPerSecond: read(`${prefix}REQUESTS_PER_SECOND`, c.requestsPerSecond, false),
          },
        ];
      }),
    );
  }

  /** Every bad partner setting in `env`, one line each naming its variable. */
  envProblems(env: NodeJS.ProcessEnv): string[] {
    const problems: string[] = [];
    const urlSetting = new RegExp(`^(${this.ids.map((id) => id.toUpperCase()).join('|')})_\\w*URL$`);
    for (const [name, value] of Object.entries(env)) {
      if (urlSetting.test(name) && !URL.canParse(value ?? '')) problems.push(`${name} must be a URL`);
    }
    try {
      this.capabilities(env);
    } catch (err) {
      problems.push((err as Error).message);
    }
    for (const d of this.definitions) {
      for (const a of Object.values(d.env.assigned ?? {})) {
        const value = env[a.key];
        if (value !== undefined && value !== '' && !a.pattern.test(value)) problems.push(`${a.key} must be ${a.form}`);
      }
      const o = d.api.override;
      const value = o && env[o.key];
      if (o && value !== undefined && value !== '' && !o.pattern.test(value))
        problems.push(`${o.key} must be a ${d.label} API version of the form ${o.form}`);
    }
    return problems;
  }

  /** The API version each partner speaks in this deployment, and when the partner stops serving it. */
  apiVersions(env: NodeJS.ProcessEnv): Record<string, ApiVersionInForce> {
    return Object.fromEntries(this.definitions.map((d) => [d.id, apiVersionInForce(d, env)]));
  }

  /** Every adapter, with the deployment's URLs, secrets and limits. */
  createAdapters({ sandboxUrl, env }: PartnerEndpoints): Record<string, PartnerAdapter> {
    const capabilities = this.capabilities(env);
    // Validated at start-up (config.ts); each partner has its own pool.
    const timeout = env.PARTNER_TIMEOUT_MS ? Number(env.PARTNER_TIMEOUT_MS) : undefined;
    return Object.fromEntries(
      this.definitions.map((d) => {
        const settings: PartnerSettings = {
          urls: mapValues(d.env.urls, (s) => env[s.key] ?? `${sandboxUrl}${s.sandbox}`),
          secrets: mapValues(d.env.secrets, (s) => env[s.key] ?? s.sandbox),
          assigned: mapValues(d.env.assigned ?? {}, (s) => env[s.key] || s.sandbox),
          apiVersion: apiVersionInForce(d, env).version,
        };
        return [d.id, { ...d.createAdapter(settings, partnerAgent(timeout)), capabilities: capabilities[d.id]! }];
      }),
    );
  }
}

export interface ApiVersionInForce {
  version: string | null;
  /** YYYY-MM-DD; null where the partner publishes none (or does not list this version). */
  sunsetAt: string | null;
  estimated: boolean;
  /** The operator's override, not the pinned version. */
  overridden: boolean;
  /** Something an operator should hear at start-up (an override the calendar does not know, a version nearing its end). */
  warning?: string;
}

/** Days left under which start-up warns (and alerts will, once a day). */
export const SUNSET_WARNING_DAYS = 60;

export function apiVersionInForce(d: PartnerDefinition, env: NodeJS.ProcessEnv, now = Date.now()): ApiVersionInForce {
  const o = d.api.override;
  const override = o ? env[o.key] : undefined;
  const overridden = !!override && !!o && o.pattern.test(override);
  const version = overridden ? override : d.api.version;
  const found = version !== null ? d.api.calendar?.(version) : undefined;
  const v: ApiVersionInForce = {
    version,
    sunsetAt: found?.sunsetAt ?? null,
    estimated: found?.estimated ?? false,
    overridden,
  };
  if (overridden && d.api.calendar && !found) {
    v.warning = `${o.key}=${version}: ${d.label} lists no such version; its sunset date is unknown`;
  } else if (v.sunsetAt) {
    const left = daysUntil(v.sunsetAt, now);
    if (left < SUNSET_WARNING_DAYS)
      v.warning = `${d.label} API version ${version} ${left <= 0 ? 'was sunset on' : `is sunset in ${left} days, on`} ${v.sunsetAt}${overridden ? ` (${o.key})` : ''}`;
  }
  return v;
}

const mapValues = <V, W>(o: Record<string, V>, f: (v: V) => W): Record<string, W> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** The partners `npm start` runs. */
export const PARTNER_REGISTRY = new PartnerRegistry(DEFAULT_PARTNERS);

/** Every default adapter (tests and the bench build them against a sandbox). */
export const createPartners = (endpoints: PartnerEndpoints): Record<string, PartnerAdapter> =>
  PARTNER_REGISTRY.createAdapters(endpoints);
