/**
 * The Temporal Web UI's codec-server protocol: the UI posts the payloads it shows and gets them
 * back decoded (or encoded). Sandbox mode answers loopback callers without a key (the local UI
 * sends none); otherwise the operator key is required. Only the configured UI origin may call
 * from a browser.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AccessTokenVerifier } from '../access-token.js';
import { ApiError } from '../errors.js';
import { bearer, fromLoopback, sameSecret } from '../keys.js';
import { parse } from '../validate.js';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  sandbox: boolean;
  operatorKey?: string;
  /** Accepts the access token the Web UI passes for its signed-in user (see access-token.ts). */
  verifyAccessToken?: AccessTokenVerifier;
  /** Browser origins of the Web UI allowed to call (CORS). */
  uiOrigins: string[];
}

const Base64 = z.base64();
export const CodecBody = z
  .object({
    payloads: z
      .array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() }))
      .max(10_000),
  })
  .meta({ id: 'CodecPayloads' });

export function codecRoutes(o: CodecRouteOptions): Router {
  const r = Router();
  const cors: RequestHandler = (req, res, next) => {
    const origin = req.header('origin');
    if (origin && o.uiOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('access-control-allow-credentials', 'true');
    }
    res.setHeader('vary', 'origin');
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
  const auth: RequestHandler = async (req, _res, next) => {
    if (o.sandbox && fromLoopback(req)) return next();
    const key = bearer(req.header('authorization'));
    const allowed =
      key !== null &&
      ((o.operatorKey !== undefined && sameSecret(key, o.operatorKey)) ||
        (o.verifyAccessToken !== undefined && (await o.verifyAccessToken(key))));
    if (!allowed) {
      throw new ApiError(
        401,
        'unauthorized',
        'The codec endpoints need the operator key or a valid Web UI access token.',
      );
    }
    next();
  };
  for (const op of ['decode', 'encode'] as const) {
    r.options(`/codec/${op}`, cors);
    r.post(`/codec/${op}`, cors, auth, async (req, res) => {
      const { payloads } = parse(CodecBody, req.body);
      const input: Payload[] = payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data ?? '', 'base64'),
      }));
      const output = await (op === 'decode' ? o.codec.decode(input) : o.codec.encode(input)).catch(() => {
        throw new ApiError(400, 'invalid_payload', 'A payload could not be decoded (unknown key or damaged data).', [
          { field: 'payloads', message: 'holds a payload that cannot be decoded' },
        ]);
      });
      res.json({
        payloads: output.map((p) => ({
          metadata: Object.fromEntries(
            Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
      });
    });
  }
  return r;
}
