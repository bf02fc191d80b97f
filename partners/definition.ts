/**
 * A partner, declared once in its own folder: who it is, what the product allows on it, how
 * its identifiers are hashed, which API version it speaks, where its URLs and secrets come from,
 * its adapter, and its sandbox stand-in. The registry (registry.ts) derives everything else.
 */
import type { Agent } from 'undici';
import type { PartnerCapabilities } from '../domain/partner.js';
import type { Field } from '../domain/types.js';
import type { SandboxStandIn } from '../src/sandbox/stand-in.js';
import type { PartnerAdapter } from './adapter.js';
import type { FieldRule } from './identifiers.js';

/** A setting read from env, with what it is in sandbox mode. */
export interface EnvSetting {
  key: string;
  /** A URL setting's default: a path below the sandbox's URL. A secret's: its literal sandbox value. */
  sandbox: string;
}

/** What an adapter is built from: each URL and secret the definition names, read from env. */
export interface PartnerSettings<U extends string = string, S extends string = string> {
  urls: Record<U, string>;
  secrets: Record<S, string>;
}

export interface PartnerDefinition<U extends string = string, S extends string = string> {
  id: string;
  /** How people see it (the page, GET /v1/partners). */
  label: string;
  /** The product's rules on it; `<ID>_USERS_PER_REQUEST` and `<ID>_REQUESTS_PER_SECOND` override two. */
  capabilities: PartnerCapabilities;
  /** How each accepted field is normalised, and whether it is hashed. */
  identifiers: Partial<Record<Field, FieldRule>>;
  /** The API version the adapter speaks (null where the partner versions by path only), and where that is published. */
  api: { version: string | null; source: string };
  env: { urls: Record<U, EnvSetting>; secrets: Record<S, EnvSetting> };
  createAdapter(settings: PartnerSettings<U, S>, agent: Agent): AdapterCalls;
  sandbox: SandboxStandIn;
  /** The first ad account the sandbox shows every token, as the adapter lists it (tests and the bench use it). */
  sandboxAdAccountId: string;
}

/** An adapter before the registry gives it the deployment's capabilities. */
export type AdapterCalls = Omit<PartnerAdapter, 'capabilities'>;

/** Declares a partner, keeping its URL and secret names typed between `env` and `createAdapter`. */
export const definePartner = <U extends string, S extends string>(d: PartnerDefinition<U, S>): PartnerDefinition => d;
