/** What the sandbox partners have in common besides the guard: query text, the hash format, the OAuth page. */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { SandboxState } from './state.js';

/** A lowercase SHA-256 hex digest, as every partner expects hashed identifiers. */
export const HEX64 = /^[a-f0-9]{64}$/;

/** A query or body value as text ('' when absent, repeated or not a string). */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The partner's authorize page, approved at once: redirects to `redirect_uri` with a fresh
 * single-use code (under the partner's own parameter name) and the caller's `state`.
 */
export function authorizePage(state: SandboxState, codeParam: 'code' | 'auth_code'): RequestHandler {
  return (req, res) => {
    const redirect = text(req.query.redirect_uri);
    if (!redirect) return void res.status(400).send('redirect_uri is required');
    const code = randomUUID();
    state.codes.add(code);
    const url = new URL(redirect);
    url.searchParams.set(codeParam, code);
    if (text(req.query.state)) url.searchParams.set('state', text(req.query.state));
    res.redirect(302, url.toString());
  };
}
