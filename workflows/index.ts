/**
 * Every workflow the worker runs is exported here; the SDK bundles this file (webpack + swc)
 * straight from TypeScript. Workflow code is deterministic: no Node built-ins, no I/O, no
 * `process` (ESLint enforces it).
 */
export { stepWorkflow } from './step.js';
export { batchWorkflow } from './batch.js';
export { connectionWorkflow } from './connection.js';
export { rateLimiterWorkflow } from './rate-limiter.js';
export { workspaceWorkflow } from './workspace.js';
