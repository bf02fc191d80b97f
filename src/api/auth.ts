import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Request } from 'express';
import { workspaceWorkflowId } from '../../domain/ids.js';
import { workspaceQuery } from '../../workflows/workspace.js';
import { ApiError } from './errors.js';
import { bearer, hashKey, sameSecret, workspaceOfKey } from './keys.js';
import { temporalCall } from './temporal-call.js';

/** A verified key is trusted this long without asking Temporal again. */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

const unauthorized = () =>
  new ApiError(401, 'unauthorized', 'A valid API key is required (Authorization: Bearer <key>).');

export interface Auth {
  /** Throws 401 unless the request carries the admin key. */
  admin(req: Request): void;
  /** The workspace whose key the request carries; throws 401 otherwise. */
  workspace(req: Request): Promise<string>;
}

export function createAuth(client: Client, adminKey: string): Auth {
  const verified = new Map<string, { workspaceId: string; until: number }>();
  return {
    admin(req) {
      const key = bearer(req.header('authorization'));
      if (!key || !sameSecret(key, adminKey)) throw unauthorized();
    },
    async workspace(req) {
      const key = bearer(req.header('authorization'));
      const workspaceId = key ? workspaceOfKey(key) : null;
      if (!key || !workspaceId) throw unauthorized();
      const hash = hashKey(key);
      const cached = verified.get(hash);
      if (cached && cached.until > Date.now()) return cached.workspaceId;
      const view = await temporalCall(client.connection, () =>
        client.workflow.getHandle(workspaceWorkflowId(workspaceId)).query(workspaceQuery),
      ).catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) throw unauthorized();
        throw err;
      });
      if (!sameSecret(hash, view.keyHash)) throw unauthorized();
      if (verified.size >= CACHE_MAX) verified.clear();
      verified.set(hash, { workspaceId, until: Date.now() + CACHE_MS });
      return workspaceId;
    },
  };
}
