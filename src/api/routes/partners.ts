import { Router } from 'express';
import type { ApiContext } from '../context.js';

export function partnerRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.get('/v1/partners', (_req, res) => {
    res.json({
      partners: Object.values(ctx.partners).map(({ capabilities: c }) => ({
        id: c.id,
        maxUsersPerRequest: c.maxUsersPerRequest,
        requestsPerSecond: c.requestsPerSecond,
        fields: c.fields,
        canRemove: c.canRemove,
      })),
    });
  });
  return r;
}
