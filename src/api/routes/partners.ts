import { Router } from 'express';
import type { ApiContext } from '../context.js';

export function partnerRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.get('/v1/partners', (_req, res) => {
    res.json({
      partners: ctx.registry.definitions.flatMap((d) => {
        const c = ctx.partners[d.id]?.capabilities;
        if (!c) return [];
        return [
          {
            id: d.id,
            label: d.label,
            maxUsersPerRequest: c.maxUsersPerRequest,
            requestsPerSecond: c.requestsPerSecond,
            fields: c.fields,
            canRemove: c.canRemove,
            apiVersion: ctx.apiVersions[d.id]?.version ?? null,
            apiVersionSunsetAt: ctx.apiVersions[d.id]?.sunsetAt ?? null,
            minimumAudienceSize: c.minimumAudienceSize ?? null,
          },
        ];
      }),
    });
  });
  return r;
}
