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
import type { VersionCalendar } from './calendar.js';
import type { FieldRule } from './identifiers.js';

/** A setting read from env, with what it is in sandbox mode. */
export interface EnvSetting {
  key: string;
  /** A URL setting's default: a path below the sandbox's URL. A secret's: its literal sandbox value. */
  sandbox: string;
}

/** A setting the partner assigns to each app (not a URL, not a secret), checked at start-up. */
export interface AssignedSetting extends EnvSetting {
  pattern: RegExp;
  /** What the value looks like, for the start-up error. */
  form: string;
}

/** What an adapter is built from: each URL, secret and assigned setting the definition names, read from env, and the API version in force. */
export interface PartnerSettings<U extends string = string, S extends string = string> {
  urls: Record<U, string>;
  secrets: Record<S, string>;
  assigned: Record<string, string>;
  apiVersion: string | null;
}

export interface ApiVersioning {
  /** The version pinned (null where the partner versions by path only and publishes no calendar). */
  version: string | null;
  /** Where the partner publishes its versions. */
  source: string;
  /** The partner's published calendar (absent: none published). */
  calendar?: VersionCalendar;
  /** An operator's override of the pinned version: its env key and form. */
  override?: { key: string; pattern: RegExp; form: string };
}

export interface PartnerDefinition<U extends string = string, S extends string = string> {
  id: string;
  /** How people see it (the page, GET /v1/partners). */
  label: string;
  /** The product's rules on it; `<ID>_USERS_PER_REQUEST` and `<ID>_REQUESTS_PER_SECOND` override two. */
  capabilities: PartnerCapabilities;
  /** How each accepted field is normalised, and whether it is hashed. */
  identifiers: Partial<Record<Field, FieldRule>>;
  /** The API version the adapter speaks, and the partner's calendar of versions. */
  api: ApiVersioning;
  env: { urls: Record<U, EnvSetting>; secrets: Record<S, EnvSetting>; assigned?: Record<string, AssignedSetting> };
  createAdapter(settings: PartnerSettings<U, S>, agent: Agent): AdapterCalls;
  sandbox: SandboxStandIn;
  /** The first ad account the sandbox shows every token, as the adapter lists it (tests and the bench use it). */
  sandboxAdAccountId: string;
}

/** An adapter before the registry gives it the deployment's capabilities. */
export type AdapterCalls = Omit<PartnerAdapter, 'capabilities'>;

/** Declares a partner, keeping its URL and secret names typed between `env` and `createAdapter`. */
export const definePartner = <U extends string, S extends string>(d: PartnerDefinition<U, S>): PartnerDefinition => d;
