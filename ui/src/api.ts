import type { Connection, StepDetail, StepRef, StepSummary, TimelineView } from './types.js';

/** A failed call: the API's own `{error: {code, message}}`, or status 0 when it could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Worth retrying as is: Temporal down (503) or the API out of reach. */
  get transient(): boolean {
    return this.status === 503 || this.status === 0;
  }
}

export interface Api {
  partners(): Promise<{ id: string; label: string }[]>;
  connections(): Promise<Connection[]>;
  steps(): Promise<StepSummary[]>;
  step(ref: StepRef): Promise<StepDetail>;
  timeline(ref: StepRef): Promise<TimelineView>;
}

/** The API promises an answer (503 at worst) within 5 s; past this the call counts as unreachable. */
const CALL_TIMEOUT_MS = 10_000;

/** The workspace's read-only API, same origin as the page, with the workspace key as bearer. */
export function createApi(workspaceKey: string): Api {
  async function get<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        headers: { authorization: `Bearer ${workspaceKey}`, accept: 'application/json' },
        cache: 'no-store',
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch {
      throw new ApiError(0, 'unreachable', 'The API cannot be reached');
    }
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  const stepPath = (ref: StepRef): string =>
    `/v1/canvases/${encodeURIComponent(ref.canvasId)}/steps/${encodeURIComponent(ref.stepId)}`;

  return {
    partners: async () => (await get<{ partners: { id: string; label: string }[] }>('/v1/partners')).partners,
    connections: async () => (await get<{ connections: Connection[] }>('/v1/connections')).connections,
    steps: async () => (await get<{ steps: StepSummary[] }>('/v1/steps')).steps,
    step: (ref) => get<StepDetail>(stepPath(ref)),
    timeline: (ref) => get<TimelineView>(`${stepPath(ref)}/timeline`),
  };
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined; // not JSON: a proxy's error page, say
  }
  const code = typeof body?.error?.code === 'string' ? body.error.code : `http_${res.status}`;
  const message = typeof body?.error?.message === 'string' ? body.error.message : `The API answered ${res.status}`;
  return new ApiError(res.status, code, message);
}
