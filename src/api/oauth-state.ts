/**
 * The OAuth `state`: which workspace and partner a consent belongs to and where to send the
 * browser after, signed (HMAC-SHA256) so it cannot be forged, expiring, and carrying a nonce
 * the workspace workflow marks used, so it works once across API replicas.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const STATE_TTL_MS = 10 * 60_000;

const Payload = z.object({
  w: z.string(),
  p: z.string(),
  r: z.string().optional(),
  n: z.string(),
  e: z.number(),
});
export type OAuthState = z.infer<typeof Payload>;

export function signState(secret: string, s: Omit<OAuthState, 'n' | 'e'>, now = Date.now()): string {
  const payload = Buffer.from(
    JSON.stringify({ ...s, n: randomBytes(16).toString('base64url'), e: now + STATE_TTL_MS }),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

/** The state's content when its signature holds and it has not expired; `null` otherwise. */
export function verifyState(secret: string, state: string, now = Date.now()): OAuthState | null {
  const [payload, signature, ...rest] = state.split('.');
  if (!payload || !signature || rest.length) return null;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const s = Payload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString()));
    return s.e >= now ? s : null;
  } catch {
    return null;
  }
}

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
