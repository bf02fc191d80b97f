import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, inject } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { lazyConnection } from '../../src/temporal/client.js';
import { freePort } from '../helpers/ports.js';

async function serve(address: string): Promise<{ url: string; close(): Promise<void> }> {
  const temporal = lazyConnection(address);
  const server: Server = createApp({
    temporal,
    namespace: 'default',
    taskQueue: 'unused',
    partners: {},
    adminKey: 'test-admin-key-0123456789abcdef',
    publicUrl: 'http://127.0.0.1',
    log: () => {},
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await temporal.close();
    },
  };
}

describe('GET /healthz', () => {
  it('answers 200 when Temporal answers', async () => {
    const api = await serve(inject('harness').devServerAddress);
    try {
      const res = await fetch(`${api.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', temporal: 'up' });
    } finally {
      await api.close();
    }
  });

  it('answers 503 unavailable within 5 s when Temporal is down, never hangs', async () => {
    const api = await serve(`127.0.0.1:${await freePort()}`);
    try {
      // docs/api.md: 503 within 5 s, never a hang; the abort turns a hang into a failure.
      const res = await fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'Temporal is not reachable.' } });
    } finally {
      await api.close();
    }
  });

  it('answers 503 unavailable within 5 s on the routes that need Temporal while it is down', async () => {
    const api = await serve(`127.0.0.1:${await freePort()}`);
    const admin = { authorization: 'Bearer test-admin-key-0123456789abcdef', 'content-type': 'application/json' };
    const key = {
      authorization: `Bearer ask_ws${'0'.repeat(24)}_${'A'.repeat(43)}`,
      'content-type': 'application/json',
    };
    try {
      const calls: [string, string, Record<string, string>, unknown?][] = [
        ['POST', '/v1/workspaces', admin, { name: 'acme' }],
        ['GET', '/v1/connections', key],
        ['POST', '/v1/canvases/c/steps/s/users', key, { users: [{ id: 'u', email: 'a@b.io' }] }],
      ];
      for (const [method, path, headers, body] of calls) {
        const started = Date.now();
        const res = await fetch(`${api.url}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(5_000),
        });
        expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([
          503,
          'unavailable',
        ]);
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    } finally {
      await api.close();
    }
  });

  it('answers unknown routes and malformed JSON with the error envelope', async () => {
    const api = await serve(inject('harness').devServerAddress);
    try {
      const missing = await fetch(`${api.url}/v1/nothing-here`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: { code: 'not_found', message: 'No route for GET /v1/nothing-here.' },
      });
      const bad = await fetch(`${api.url}/v1/nothing-here`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"users": [',
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        error: {
          code: 'invalid_request',
          message: 'The request body is not valid JSON.',
          details: [{ field: '(body)', message: 'is not valid JSON' }],
        },
      });
    } finally {
      await api.close();
    }
  });
});
