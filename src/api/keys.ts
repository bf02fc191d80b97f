/**
 * API keys. A workspace key names its workspace and carries 256 random bits; only its SHA-256
 * is stored (in the workspace workflow), and keys are compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const newWorkspaceId = (): string => `ws${randomBytes(12).toString('hex')}`;

export const newWorkspaceKey = (workspaceId: string): string =>
  `ask_${workspaceId}_${randomBytes(32).toString('base64url')}`;

/** The workspace a key claims to belong to (unverified), or null when it is not a workspace key. */
export function workspaceOfKey(key: string): string | null {
  return /^ask_(ws[0-9a-f]{24})_[A-Za-z0-9_-]{43}$/.exec(key)?.[1] ?? null;
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Constant-time equality of two strings (of any lengths). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export const bearer = (header: string | undefined): string | null =>
  /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null;

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** The caller is on this machine (sandbox-mode codec calls, an unconfigured metrics scraper). */
export const fromLoopback = (req: { socket: { remoteAddress?: string } }): boolean =>
  LOOPBACK.has(req.socket.remoteAddress ?? '');
