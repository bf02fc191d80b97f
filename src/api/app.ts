import { createHash } from 'node:crypto';
import { sep } from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { Client, type Connection, type DataConverter } from '@temporalio/client';
import type { PartnerAdapter } from '../../partners/adapter.js';
import { PARTNER_REGISTRY, type ApiVersionInForce, type PartnerRegistry } from '../../partners/registry.js';
import type { PartnerId } from '../../domain/types.js';
import { createAuth } from './auth.js';
import { DEFAULT_MAX_PENDING_USERS, type ApiContext } from './context.js';
import { openApiDocument, ROUTES, type RouteDoc } from './contract.js';
import { ApiError, errorHandler, notFound } from './errors.js';
import type { Logger } from 'pino';
import { httpMetrics } from '../observability/metrics.js';
import { requestLog } from '../observability/log.js';
import { codecRoutes, type CodecRouteOptions } from './routes/codec.js';
import { metricsRoutes, type MetricsRouteOptions } from './routes/metrics.js';
import { connectionRoutes } from './routes/connections.js';
import { healthRoutes } from './routes/health.js';
import { partnerRoutes } from './routes/partners.js';
import { stepRoutes } from './routes/steps.js';
import { workspaceRoutes } from './routes/workspaces.js';

export interface AppDeps {
  /** A lazy connection: the API starts (and answers 503) while Temporal is down. */
  temporal: Connection;
  namespace: string;
  /** The workflows' task queue. */
  taskQueue: string;
  partners: Partial<Record<PartnerId, PartnerAdapter>>;
  /** Which partners exist (default: the ones `npm start` runs). */
  registry?: PartnerRegistry;
  /** The partner API versions in force (default: the registry's, with the overrides in process.env). */
  apiVersions?: Record<string, ApiVersionInForce>;
  adminKey: string;
  /** This API's address as partners' OAuth pages send browsers back to it. */
  publicUrl: string;
  log: (line: string) => void;
  /** Encrypts payloads (the same as the workers'); absent: plain payloads, no /codec routes. */
  dataConverter?: DataConverter;
  codec?: CodecRouteOptions;
  metrics?: MetricsRouteOptions;
  logger?: Logger;
  /** Users a step may hold unsent before new ones are refused with 503 (default DEFAULT_MAX_PENDING_USERS). */
  maxPendingUsersPerStep?: number;
  /** The built analytics page (src/ui/assets.ts), served at /ui/; absent: not served. */
  uiDir?: string | null;
}

export function createApp(deps: AppDeps): Express {
  const client = new Client({
    connection: deps.temporal,
    namespace: deps.namespace,
    dataConverter: deps.dataConverter,
  });
  const ctx: ApiContext = {
    client,
    taskQueue: deps.taskQueue,
    registry: deps.registry ?? PARTNER_REGISTRY,
    apiVersions: deps.apiVersions ?? (deps.registry ?? PARTNER_REGISTRY).apiVersions(process.env),
    partners: deps.partners,
    auth: createAuth(client, deps.adminKey),
    // Derived from the admin key: every replica signs alike, with no second secret to manage.
    stateSecret: createHash('sha256').update(`oauth-state:${deps.adminKey}`).digest('hex'),
    publicUrl: deps.publicUrl.replace(/\/$/, ''),
    metrics: deps.metrics?.metrics,
    maxPendingUsersPerStep: deps.maxPendingUsersPerStep ?? DEFAULT_MAX_PENDING_USERS,
  };
  const openApi = openApiDocument({ codecKeyOptional: deps.codec?.sandbox === true, partnerIds: ctx.registry.ids });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.logger) app.use(requestLog(deps.logger));
  if (deps.metrics) app.use(httpMetrics(deps.metrics.metrics));
  // Before a key or a body is read: a documented path asked with a method it does not serve.
  app.use(
    methodNotAllowed([
      ...ROUTES.filter((r) => deps.codec || !r.path.startsWith('/codec/')),
      ...(deps.metrics ? [{ method: 'get', path: '/metrics' } as const] : []),
    ]),
  );
  app.use(express.json({ limit: '16mb', strict: false }));
  app.use(healthRoutes(deps.temporal, deps.namespace));
  app.get('/openapi.json', (_req, res) => void res.json(openApi));
  if (deps.metrics) app.use(metricsRoutes(deps.metrics));
  app.use(partnerRoutes(ctx));
  app.use(workspaceRoutes(ctx));
  app.use(connectionRoutes(ctx));
  app.use(stepRoutes(ctx));
  if (deps.codec) app.use(codecRoutes(deps.codec));
  if (deps.uiDir) app.use('/ui', uiPage(deps.uiDir));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}

/**
 * 405 `method_not_allowed` with `Allow` (RFC 9110) for a known path asked with a method none of
 * its routes serves (GET routes serve HEAD too). OPTIONS goes on to the routes: Express answers
 * it with `Allow`, and the codec routes with their CORS preflight.
 */
export function methodNotAllowed(routes: Pick<RouteDoc, 'method' | 'path'>[]): RequestHandler {
  const methods = new Map<string, Set<string>>();
  for (const r of routes) {
    const served = methods.get(r.path) ?? new Set<string>();
    served.add(r.method.toUpperCase());
    if (r.method === 'get') served.add('HEAD');
    methods.set(r.path, served.add('OPTIONS'));
  }
  // As Express matches: case-insensitive, an optional trailing slash, a parameter is one segment.
  const known = [...methods].map(([path, served]) => ({
    pattern: new RegExp(
      `^${path
        .split(/\{\w+\}/)
        .map(escapeRegExp)
        .join('[^/]+')}/?$`,
      'i',
    ),
    served,
  }));
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    const allowed = new Set(known.filter((k) => k.pattern.test(req.path)).flatMap((k) => [...k.served]));
    if (allowed.size === 0 || allowed.has(req.method)) return next();
    const allow = METHOD_ORDER.filter((m) => allowed.has(m)).join(', ');
    res.setHeader('Allow', allow);
    next(
      new ApiError(
        405,
        'method_not_allowed',
        `${req.method} is not served at ${req.path.slice(0, 200)}; it serves ${allow}.`,
      ),
    );
  };
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'];
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The analytics page's files: its hashed assets cached for good, the page itself checked each
 * time (a new build is seen at once). It holds no data: everything it shows needs a workspace key.
 */
function uiPage(dir: string): express.RequestHandler[] {
  const files = express.static(dir, {
    index: 'index.html',
    setHeaders(res, path) {
      res.setHeader(
        'cache-control',
        path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  // The page runs only its own files and talks only to this API: an injected script could read the key.
  const headers: express.RequestHandler = (_req, res, next) => {
    res.setHeader('content-security-policy', UI_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  };
  return [headers, files];
}

const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
