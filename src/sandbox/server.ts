/**
 * The sandbox partners: one local HTTP server speaking each partner's real endpoints under
 * `/<partner>`, plus the control and inspection endpoints of docs/api.md under `/_sandbox`.
 * Loopback only. It shares no code with the adapters: it is what they are tested against.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { Router, type Express } from 'express';
import { z } from 'zod';
import { PARTNER_REGISTRY, type PartnerRegistry } from '../../partners/registry.js';
import { recordExchanges } from './recording.js';
import type { SandboxOptions } from './stand-in.js';
import { SandboxState, sortedMembers, type SandboxPartner } from './state.js';

export type { SandboxOptions } from './stand-in.js';

const CreateAudience = z.strictObject({
  adAccountId: z.string().min(1),
  name: z.string().min(1),
  valueBased: z.boolean().optional(),
});
const AdAccount = z.strictObject({
  termsAccepted: z.boolean().optional(),
  audienceCount: z.number().int().min(0).optional(),
});
const TokenBody = z.strictObject({ accessToken: z.string().min(1) });
const NewToken = z.strictObject({ accessToken: z.string().min(1), scopes: z.array(z.string().min(1)).optional() });
const FaultBody = z.strictObject({
  status: z.union([z.literal(429), z.literal(500), z.literal(503)]),
  count: z.number().int().min(1),
  retryAfterSeconds: z.number().min(0).optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
});

export function createSandboxApp(
  state: SandboxState,
  options: SandboxOptions = {},
  registry: PartnerRegistry = PARTNER_REGISTRY,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/_sandbox', express.json(), controlRoutes(state, registry));
  for (const d of registry.definitions) {
    if (options.onExchange) app.use(`/${d.id}`, recordExchanges(d.id, options.onExchange));
    app.use(`/${d.id}`, d.sandbox.routes(state, options));
  }
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof z.ZodError) {
      return void res
        .status(400)
        .json({ error: { code: 'invalid_request', message: 'Invalid control request.', details: err.issues } });
    }
    res.status(500).json({ error: { code: 'internal', message: 'The sandbox failed.' } });
  });
  return app;
}

function controlRoutes(state: SandboxState, registry: PartnerRegistry): Router {
  const r = Router();
  const Partner = z.enum(registry.ids);
  const partner = (p: string): SandboxPartner => Partner.parse(p);

  r.post('/reset', (_req, res) => {
    state.reset();
    res.status(204).end();
  });
  r.get('/:partner/audiences', (req, res) => {
    const audiences = [...state.audiencesOf(partner(req.params.partner)).values()];
    res.json({
      audiences: audiences.map((a) => ({ id: a.id, name: a.name, adAccountId: a.adAccountId, size: a.members.size })),
    });
  });
  r.post('/:partner/audiences', (req, res) => {
    const b = CreateAudience.parse(req.body);
    const a = state.createAudience(partner(req.params.partner), b.adAccountId, b.name, b.valueBased ?? false);
    a.createdAt = 0; // exists "before launch": already past any readiness delay
    res.status(201).json({ id: a.id });
  });
  r.get('/:partner/audiences/:id/members', (req, res) => {
    const a = state.audiencesOf(partner(req.params.partner)).get(req.params.id);
    if (!a) return void res.status(404).json({ error: { code: 'not_found', message: 'No such audience.' } });
    res.json({ members: sortedMembers(a) });
  });
  r.post('/:partner/audiences/:id/restrict', (req, res) => {
    const a = state.audiencesOf(partner(req.params.partner)).get(req.params.id);
    if (!a) return void res.status(404).json({ error: { code: 'not_found', message: 'No such audience.' } });
    a.restricted = true;
    res.status(204).end();
  });
  r.delete('/:partner/audiences/:id', (req, res) => {
    state.audiencesOf(partner(req.params.partner)).delete(req.params.id);
    res.status(204).end();
  });
  r.post('/:partner/ad-accounts/:id', (req, res) => {
    partner(req.params.partner);
    state.adAccounts.set(req.params.id, { ...state.adAccounts.get(req.params.id), ...AdAccount.parse(req.body) });
    res.status(204).end();
  });
  r.post('/:partner/tokens', (req, res) => {
    partner(req.params.partner);
    const { accessToken, scopes } = NewToken.parse(req.body);
    state.validTokens.add(accessToken);
    state.revokedTokens.delete(accessToken);
    if (scopes) state.tokenScopes.set(accessToken, scopes);
    else state.tokenScopes.delete(accessToken);
    res.status(201).json({ accessToken });
  });
  r.post('/:partner/tokens/revoke', (req, res) => {
    partner(req.params.partner);
    state.revokedTokens.add(TokenBody.parse(req.body).accessToken);
    res.status(204).end();
  });
  r.post('/:partner/faults', (req, res) => {
    const p = partner(req.params.partner);
    const fault = FaultBody.parse(req.body);
    state.faults.set(p, [...(state.faults.get(p) ?? []), fault]);
    res.status(204).end();
  });
  r.get('/:partner/stats', (req, res) => {
    const s = state.statsOf(partner(req.params.partner));
    res.json({
      requests: s.requests,
      users: s.users,
      maxRequestsInAnySecond: s.all.maxRequestsInAnySecond,
      maxUsersInARequest: s.maxUsersInARequest,
      rejected: s.rejected,
      injected: s.injected,
      arrivals: s.arrivals,
      byKey: Object.fromEntries(
        Object.entries(s.byKey).map(([k, v]) => [
          k,
          { requests: v.requests, maxRequestsInAnySecond: v.maxRequestsInAnySecond },
        ]),
      ),
    });
  });
  return r;
}

export interface RunningSandbox {
  url: string;
  state: SandboxState;
  close(): Promise<void>;
}

export async function startSandbox(
  host: string,
  port: number,
  options: SandboxOptions = {},
  registry: PartnerRegistry = PARTNER_REGISTRY,
): Promise<RunningSandbox> {
  const state = new SandboxState();
  const server: Server = createSandboxApp(state, options, registry).listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err as Error))]);
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    state,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
