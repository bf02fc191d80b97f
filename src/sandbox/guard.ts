import type { NextFunction, Request, Response } from 'express';
import type { SandboxPartner, SandboxState } from './state.js';

export interface GuardOptions {
  partner: SandboxPartner;
  /** The partner's requests-per-second limit, per rate-limit key. */
  requestsPerSecond: number;
  /** A per-minute quota on top, per the same key (undefined: none). */
  requestsPerMinute?: number;
  /** Reads the access token from the request (each partner sends it its own way). */
  token: (req: Request) => string | undefined;
  /** The rate-limit key of a request (token, ad account or the whole app). */
  key: (req: Request, token: string) => string;
  /** The partner's own answers. */
  invalidToken: (res: Response) => void;
  throttled: (res: Response, retryAfterSeconds?: number) => void;
  serverError: (res: Response, status: 500 | 503) => void;
}

/** What every partner's API does before the endpoint: check the token, inject faults, enforce the rate. */
export function guard(state: SandboxState, o: GuardOptions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = o.token(req);
    const key = token ? o.key(req, token) : 'anonymous';
    const inLastSecond = state.countRequest(o.partner, key);
    const inLastMinute = o.requestsPerMinute === undefined ? 0 : state.countInLastMinute(o.partner, key);
    if (!state.tokenValid(token)) {
      state.countRejected(o.partner, 401);
      o.invalidToken(res);
      return;
    }
    const fault = state.takeFault(o.partner);
    if (fault?.delayMs) {
      await new Promise((r) => setTimeout(r, fault.delayMs));
      if (gone(req)) return;
    }
    if (fault && fault.status === 429) {
      state.countRejected(o.partner, 429);
      o.throttled(res, fault.retryAfterSeconds);
      return;
    }
    if (fault) {
      state.countRejected(o.partner, fault.status);
      o.serverError(res, fault.status as 500 | 503);
      return;
    }
    const random = state.takeRandomFault(o.partner);
    if (random === 'timeout' || random === 'slow') {
      await new Promise((r) =>
        setTimeout(r, random === 'slow' ? state.randomFaults!.slowMs : state.randomFaults!.hangMs),
      );
      // A caller that gave up meanwhile is gone: nothing is done for it. (Its body may be half
      // sent; body-parser skips a finished request, so the endpoint would read no body at all.)
      if (gone(req)) return;
    } else if (random === '429') {
      return void o.throttled(res, 1);
    } else if (random) {
      return void o.serverError(res, Number(random) as 500 | 503);
    }
    if (
      inLastSecond > o.requestsPerSecond ||
      (o.requestsPerMinute !== undefined && inLastMinute > o.requestsPerMinute)
    ) {
      state.countRejected(o.partner, 429);
      o.throttled(res);
      return;
    }
    next();
  };
}

/** The caller closed the connection (it timed out): no answer can reach it. */
const gone = (req: Request): boolean => req.destroyed || !!req.socket?.destroyed;

/** A short, stable name for a token in stats (never the token itself). */
export function tokenId(token: string): string {
  return `token:${token.slice(-6)}`;
}
