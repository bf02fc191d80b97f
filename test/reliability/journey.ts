/**
 * A journey engine's side of the reliability suites: it drives the product only through the
 * public HTTP API (and the sandbox's control endpoints), as a client should — a 503 is retried
 * after its Retry-After, never counted as accepted.
 */
import { randomUUID } from 'node:crypto';
import type { BenchStack } from '../../bench/stack.js';
import type { StepMetrics } from '../../domain/types.js';

/** The step's metrics as GET …/steps/:stepId answers them. */
export type Metrics = StepMetrics;

export interface Journey {
  stepPath: string;
  /** 503 answers retried so far (Temporal away or busy, or the step's backlog full). */
  retried(): number;
  /**
   * Posts `users` users in requests of `perRequest`, `clients` at a time; resolves once all were
   * accepted. Requests are numbered from `first` (their users' ids and idempotency keys).
   */
  post(
    users: number,
    o?: { perRequest?: number; clients?: number; first?: number; onAccepted?: (n: number) => void },
  ): Promise<void>;
  metrics(): Promise<Metrics>;
  /** Waits until nothing is Pending (or the deadline passes); answers the metrics then. */
  settled(timeoutMs: number): Promise<Metrics>;
  /** Members of the step's audience at the sandbox partner. */
  audienceSize(): Promise<number>;
}

/** A workspace connected to the sandbox LinkedIn (ad account 501) with one launched step. */
export async function linkedinJourney(stack: BenchStack): Promise<Journey> {
  let retries = 0;
  const call = async <T>(method: string, path: string, key: string, body?: unknown): Promise<T> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (;;) {
      const res = await fetch(`${stack.api}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: text,
      }).catch(() => null); // the API itself unreachable: as a 503
      if (!res || res.status === 503) {
        retries++;
        await res?.body?.cancel();
        await new Promise((r) => setTimeout(r, Number(res?.headers.get('retry-after') ?? 1) * 1_000));
        continue;
      }
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    }
  };
  const canvas = `rel-${randomUUID().slice(0, 8)}`;
  const stepPath = `/v1/canvases/${canvas}/steps/sync`;
  const audienceName = `${canvas}-audience`;
  const { apiKey: key } = await call<{ apiKey: string }>('POST', '/v1/workspaces', stack.adminKey, { name: canvas });
  const token = `rel-${randomUUID()}`;
  await fetch(`${stack.sandbox}/_sandbox/linkedin/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessToken: token }),
  });
  await call('PUT', '/v1/connections/linkedin', key, { accessToken: token });
  await call('PUT', '/v1/connections/linkedin/ad-accounts', key, { adAccountIds: ['501'] });
  await call('PUT', stepPath, key, {
    partner: 'linkedin',
    adAccountId: '501',
    audience: { name: audienceName, create: true },
    action: 'add',
    fields: ['email'],
  });
  const metrics = async () => (await call<{ metrics: Metrics }>('GET', stepPath, key)).metrics;

  return {
    stepPath,
    retried: () => retries,
    async post(users, { perRequest = 1_000, clients = 4, first = 0, onAccepted } = {}) {
      const requests = Math.ceil(users / perRequest);
      let next = 0;
      let accepted = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let i = next++; i < requests; i = next++) {
            const n = Math.min(perRequest, users - i * perRequest);
            const r = first + i;
            const batch = Array.from({ length: n }, (_, j) => ({ id: `${r}-${j}`, email: `u${r}-${j}@rel.example` }));
            // The same idempotency key on every retry: a post that was kept but whose answer was lost counts once.
            await call('POST', `${stepPath}/users`, key, { users: batch, idempotencyKey: `r${r}` });
            accepted += n;
            onAccepted?.(accepted);
          }
        }),
      );
    },
    metrics,
    async settled(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = await metrics();
        if (m.pending === 0 || Date.now() > deadline) return m;
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    async audienceSize() {
      const res = await fetch(`${stack.sandbox}/_sandbox/linkedin/audiences`);
      const { audiences } = (await res.json()) as { audiences: { name: string; size: number }[] };
      return audiences.find((a) => a.name === audienceName)?.size ?? 0;
    },
  };
}
