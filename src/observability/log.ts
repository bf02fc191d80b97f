/**
 * Structured JSON logs (pino). Nothing private is logged: request lines carry the method, the
 * route pattern, status, duration and a request id — never the path's query (OAuth codes),
 * headers (keys) or bodies (users); and every line passes `scrub`, which blanks anything shaped
 * like a token, a key, a SHA-256 hash or an email, whatever field it hides in.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';

const SECRETS: RegExp[] = [
  /\b(?:ask|adm)_[A-Za-z0-9_-]{20,}/g, // our API keys
  /\b[a-f0-9]{64}\b/gi, // SHA-256 hashes (hashed identifiers)
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, // emails
  /\b(?:Bearer|token[=:])\s*[^\s"',]+/gi, // bearer tokens and token=… in partner texts
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, // mobile ad ids (and sandbox tokens)
];

/** `text` with every secret-shaped run replaced by `[redacted]`. */
export function scrub(text: string): string {
  return SECRETS.reduce((t, re) => t.replace(re, '[redacted]'), text);
}

export function createLogger(destination?: DestinationStream): Logger {
  return pino(
    {
      base: { service: 'audience-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['*.authorization', '*.accessToken', '*.refreshToken', '*.apiKey', '*.users', '*.email', '*.phone'],
        censor: '[redacted]',
      },
      hooks: {
        // Messages are free text (a partner's error, an exception): scrubbed like the fields.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** One line per API request, with an id the client sees (`x-request-id`). */
export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const id = /^[\w.-]{1,64}$/.test(req.header('x-request-id') ?? '') ? req.header('x-request-id')! : randomUUID();
    res.setHeader('x-request-id', id);
    const started = performance.now();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      log.info(
        {
          requestId: id,
          method: req.method,
          route: route ? `${req.baseUrl}${route}` : 'unmatched',
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    next();
  };
}
