import { Router } from 'express';
import { workspaceWorkflowId } from '../../../domain/ids.js';
import type { workspaceWorkflow } from '../../../workflows/workspace.js';
import type { ApiContext } from '../context.js';
import { hashKey, newWorkspaceId, newWorkspaceKey } from '../keys.js';
import { CreateWorkspace } from '../schemas.js';
import { temporalCall } from '../temporal-call.js';
import { parse } from '../validate.js';

export function workspaceRoutes(ctx: ApiContext): Router {
  const r = Router();
  r.post('/v1/workspaces', async (req, res) => {
    ctx.auth.admin(req);
    const { name } = parse(CreateWorkspace, req.body);
    const id = newWorkspaceId();
    const apiKey = newWorkspaceKey(id);
    await temporalCall(ctx.client.connection, () =>
      ctx.client.workflow.start<typeof workspaceWorkflow>('workspaceWorkflow', {
        taskQueue: ctx.taskQueue,
        workflowId: workspaceWorkflowId(id),
        args: [{ id, name, keyHash: hashKey(apiKey), createdAt: new Date().toISOString() }],
      }),
    );
    res.status(201).json({ id, name, apiKey });
  });
  return r;
}
