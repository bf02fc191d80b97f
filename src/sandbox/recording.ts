/**
 * Records every exchange a partner stand-in serves — the request as the adapter sent it and the
 * answer as the stand-in gave it — so the conformance tests can check both against what the
 * partner publishes (its OpenAPI, its SDK's models, its docs' examples).
 */
import type { NextFunction, Request, Response } from 'express';

export interface Exchange {
  partner: string;
  method: string;
  /** The path below `/<partner>`, without the query. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The request body as the stand-in's own parser read it (JSON or form), undefined without one. */
  body: unknown;
  contentType: string | undefined;
  status: number;
  /** The answer's body, parsed when it was JSON. */
  response: unknown;
}

/** Express middleware for one partner's routes: calls `record` once each answer is sent. */
export function recordExchanges(partner: string, record: (e: Exchange) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    let sent: unknown;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      sent = body;
      return json(body);
    };
    res.on('finish', () => {
      const url = new URL(req.originalUrl, 'http://sandbox');
      const query: Record<string, string | string[]> = {};
      for (const key of new Set(url.searchParams.keys())) {
        const all = url.searchParams.getAll(key);
        query[key] = all.length === 1 ? all[0]! : all;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      record({
        partner,
        method: req.method,
        path: url.pathname.slice(partner.length + 1) || '/',
        query,
        headers,
        body: (req as { body?: unknown }).body,
        contentType: req.headers['content-type'],
        status: res.statusCode,
        response: sent,
      });
    });
    next();
  };
}
