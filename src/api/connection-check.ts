/**
 * The connection check (GET /v1/connections/:partner/check): read-only partner calls with the
 * connection's token, then one entry per check a person can act on. `probeConnection` makes the
 * calls; `connectionChecks` (pure) turns what they answered into the list.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Fail } from '../../domain/failures.js';
import type { LaunchProblem } from '../../domain/launch-rules.js';
import type { PartnerAdapter, TokenInfo } from '../../partners/adapter.js';
import type { ApiVersionInForce } from '../../partners/registry.js';
import { ApiError } from './errors.js';

export interface Check {
  code: string;
  ok: boolean;
  message: string;
}

/** A partner call's result, or why it failed (the classified failure's type and message: codes, never a token). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; type?: string; message: string };

/** What the partner answered; a call not made (an earlier one made it pointless) is absent. */
export interface Probe {
  /** null: the partner has no way to introspect a token (its validity is what listing the ad accounts says). */
  tokenInfo: Outcome<TokenInfo> | null;
  /** null: the partner versions by path only and no call is refused for its version. */
  versionAccepted?: Outcome<boolean> | null;
  adAccounts?: Outcome<{ id: string; name: string }[]>;
  /** Per selected ad account still listed: what the partner would refuse there. */
  problems: Record<string, Outcome<LaunchProblem[]>>;
}

/** Runs one partner call through the rate gate, with the ad account whose rate it counts against ('' for none). */
export type Gate = <T>(fn: () => Promise<T>, adAccountId: string) => Promise<T>;

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof ApiError) throw err; // the API's own (a rate lane not leased in time: 503)
    if (err instanceof ApplicationFailure) return { ok: false, type: err.type ?? undefined, message: err.message };
    return { ok: false, message: 'The partner did not answer as expected.' };
  }
}

/** The read-only calls, in order; none after the token or the version is refused. Nothing is created or changed. */
export async function probeConnection(
  adapter: PartnerAdapter,
  token: string,
  selected: string[],
  gate: Gate,
): Promise<Probe> {
  const probe: Probe = { tokenInfo: null, problems: {} };
  if (adapter.tokenInfo) {
    const tokenInfo = adapter.tokenInfo.bind(adapter);
    probe.tokenInfo = await attempt(() => gate(() => tokenInfo(token), ''));
    if (!probe.tokenInfo.ok || !probe.tokenInfo.value.valid) return probe;
  }
  if (adapter.apiVersionAccepted) {
    const accepted = adapter.apiVersionAccepted.bind(adapter);
    probe.versionAccepted = await attempt(() => gate(() => accepted(token), ''));
    if (!probe.versionAccepted.ok || !probe.versionAccepted.value) return probe;
  } else {
    probe.versionAccepted = null;
  }
  probe.adAccounts = await attempt(() => gate(() => adapter.listAdAccounts(token), ''));
  if (!probe.adAccounts.ok) return probe;
  const listed = new Set(probe.adAccounts.value.map((a) => a.id));
  for (const id of selected) {
    if (!listed.has(id)) continue;
    // `creating`: a step may create its audience there, so the partner's audience cap counts.
    probe.problems[id] = await attempt(() =>
      gate(async () => (await adapter.adAccountProblems?.(token, id, true)) ?? [], id),
    );
  }
  return probe;
}

export interface CheckFacts {
  /** The partner as people see it. */
  label: string;
  requiredScopes?: readonly (readonly string[])[];
  /** The API version in force here; its override's env key; the version pinned in the code. */
  version?: ApiVersionInForce;
  overrideKey?: string;
  pinned: string | null;
  /** The connection's selected ad accounts. */
  selected: string[];
}

export function connectionChecks(f: CheckFacts, p: Probe): Check[] {
  const token = tokenCheck(f, p);
  const notChecked = (why: string) => `Not checked: ${why}`;
  const checks: Check[] = [token];

  // Scopes.
  const scopes = p.tokenInfo?.ok ? p.tokenInfo.value.scopes : null;
  const asked = (f.requiredScopes ?? []).map((any) => any.join(' or ')).join(', ');
  if (!token.ok) checks.push({ code: 'scopes_granted', ok: false, message: notChecked('the token is not valid.') });
  else if (scopes === null) {
    checks.push({
      code: 'scopes_granted',
      ok: true,
      message:
        `${f.label} gives no way to read which scopes a token carries, so they could not be verified` +
        (asked
          ? `; the product asks for ${asked} at consent.`
          : '; the app is granted its permissions in its developer portal.'),
    });
  } else {
    const missing = (f.requiredScopes ?? []).filter((any) => !any.some((s) => scopes.includes(s)));
    checks.push(
      missing.length
        ? {
            code: 'scopes_granted',
            ok: false,
            message: `The token lacks ${missing.map((any) => any.join(' or ')).join(', ')}: reconnect ${f.label} and grant ${missing.length > 1 ? 'them' : 'it'} (the app must be approved for ${missing.length > 1 ? 'them' : 'it'} by ${f.label}).`,
          }
        : { code: 'scopes_granted', ok: true, message: `The token carries every scope the product needs (${asked}).` },
    );
  }

  // The API version.
  const version = versionCheck(f, p, token.ok);
  checks.push(version);

  // Each selected ad account.
  for (const id of f.selected) {
    const code = `ad_account_usable:${id}`;
    const fail = (message: string) => checks.push({ code, ok: false, message });
    if (!token.ok) fail(notChecked('the token is not valid.'));
    else if (!version.ok) fail(notChecked(`${f.label} refuses the API version.`));
    else if (!p.adAccounts?.ok) fail(`The ad accounts could not be listed: ${p.adAccounts?.message ?? 'not asked'}`);
    else if (!p.adAccounts.value.some((a) => a.id === id))
      fail(
        `Ad account ${id} is no longer listed for this token: reconnect ${f.label} as a member with access to it, or select another ad account.`,
      );
    else {
      const problems = p.problems[id];
      if (!problems) fail(notChecked('not asked.'));
      else if (!problems.ok) fail(`Could not be checked: ${problems.message}`);
      else if (problems.value.length) fail(problems.value.map((x) => x.message).join(' '));
      else checks.push({ code, ok: true, message: `Ad account ${id} is listed for the token and can take audiences.` });
    }
  }
  return checks;
}

function tokenCheck(f: CheckFacts, p: Probe): Check {
  const code = 'token_valid';
  const refused = `${f.label} no longer accepts the token (revoked or expired): reconnect ${f.label}.`;
  if (p.tokenInfo) {
    if (!p.tokenInfo.ok) return { code, ok: false, message: `Could not be checked: ${p.tokenInfo.message}` };
    return p.tokenInfo.value.valid
      ? { code, ok: true, message: `${f.label} says the token is valid.` }
      : { code, ok: false, message: refused };
  }
  // No introspection: the token is as good as listing the ad accounts with it.
  if (!p.adAccounts) return { code, ok: false, message: 'Could not be checked.' };
  if (p.adAccounts.ok) return { code, ok: true, message: `${f.label} answered a read with the token.` };
  if (p.adAccounts.type === Fail.TokenInvalid) return { code, ok: false, message: refused };
  return { code, ok: false, message: `Could not be checked: ${p.adAccounts.message}` };
}

function versionCheck(f: CheckFacts, p: Probe, tokenOk: boolean): Check {
  const code = 'api_version_accepted';
  if (!tokenOk) return { code, ok: false, message: 'Not checked: the token is not valid.' };
  const v = f.version;
  if (p.versionAccepted === null || !v?.version) {
    // Versioned by path: nothing is refused for its version while the partner answers at all.
    if (p.adAccounts && !p.adAccounts.ok)
      return { code, ok: false, message: `Could not be checked: ${p.adAccounts.message}` };
    return {
      code,
      ok: true,
      message: `${f.label} versions its API by path and publishes no sunset calendar; it answered at the path in use.`,
    };
  }
  if (!p.versionAccepted) return { code, ok: false, message: 'Could not be checked.' };
  if (!p.versionAccepted.ok) return { code, ok: false, message: `Could not be checked: ${p.versionAccepted.message}` };
  const which = v.overridden && f.overrideKey ? `${v.version} (set by ${f.overrideKey})` : `${v.version} (pinned)`;
  if (!p.versionAccepted.value) {
    const sunset = v.sunsetAt
      ? `: it was sunset on ${v.sunsetAt}${v.estimated ? ' (estimated)' : ''}`
      : ': it is sunset or was never released';
    const fix =
      v.overridden && f.overrideKey
        ? `Unset ${f.overrideKey} to use the pinned ${f.pinned ?? 'version'}, or set a version ${f.label} still serves.`
        : `Set ${f.overrideKey ?? 'the version override'} to a version ${f.label} still serves, or upgrade the service.`;
    return { code, ok: false, message: `${f.label} refuses API version ${which}${sunset}. ${fix}` };
  }
  const until = v.sunsetAt ? `, served until ${v.sunsetAt}${v.estimated ? ' (estimated)' : ''}` : '';
  return {
    code,
    ok: true,
    message: `${f.label} accepts API version ${which}${until}.${v.warning ? ` Warning: ${v.warning}.` : ''}`,
  };
}
