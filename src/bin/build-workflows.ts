/**
 * `npm run build:workflows [file]`: bundles the workflows once (default dist/workflows.bundle.js).
 * Workers started with AUDIENCE_SYNC_WORKFLOW_BUNDLE=<file> load it instead of bundling at start.
 */
import { resolve } from 'node:path';
import { writeWorkflowBundle } from '../temporal/worker.js';

const out = resolve(process.argv[2] ?? 'dist/workflows.bundle.js');
await writeWorkflowBundle(out);
console.log(`workflow bundle written to ${out}`);
