/**
 * Every workflow the worker runs is exported here; the SDK bundles this file (webpack + swc)
 * straight from TypeScript. Workflow code is deterministic: no Node built-ins, no I/O, no
 * `process` (ESLint enforces it). The Step, Batch and Connection workflows land here.
 */
export {};
