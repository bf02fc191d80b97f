import type { ErrorRequestHandler, RequestHandler } from 'express';
import { scrub } from '../observability/log.js';

export interface ErrorDetail {
  [key: string]: unknown;
}

/** An answer the client gets as `{"error": {code, message, details?}}` (docs/api.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    /** Sent as `Retry-After` (a 503 the client should retry). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Express/body-parser errors carry a `type`; map the ones a client can cause. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  // The parser's own message quotes the body: never sent.
  if (type === 'entity.parse.failed') {
    return new ApiError(400, 'invalid_request', 'The request body is not valid JSON.', body('is not valid JSON'));
  }
  if (type === 'entity.too.large') {
    return new ApiError(413, 'payload_too_large', 'The request body is larger than 16 MB.', body('is over 16 MB'));
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new ApiError(415, 'unsupported_media_type', 'The request body must be UTF-8 JSON.', body('must be UTF-8'));
  }
  return new ApiError(500, 'internal', 'Something went wrong on our side.');
}

/** Where a whole-body problem is, in `details` as every 4xx for bad input names one. */
const body = (message: string): ErrorDetail[] => [{ field: '(body)', message }];

export const notFound: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
};

/** The one place errors become answers: never echoes the body, a stack or a token. */
export function errorHandler(log: (line: string) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toApiError(err);
    // Load shed on purpose (a 503 with Retry-After: busy, backlog full) is the client's to retry, not a failure.
    if (e.status >= 500 && e.retryAfterSeconds === undefined) {
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${scrub(err.cause.message)})` : '';
      const what = err instanceof Error ? `${err.name}: ${scrub(err.message)}${cause}` : 'error';
      log(`${req.method} ${req.route ? String((req.route as { path: unknown }).path) : req.path} failed: ${what}`);
    }
    const body: { code: string; message: string; details?: ErrorDetail[] } = { code: e.code, message: e.message };
    if (e.details) body.details = e.details;
    if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
    res.status(e.status).json({ error: body });
  };
}
