/**
 * The naive design the benchmark compares against: one workflow per user, each making one
 * partner request for its one user — what a first Temporal version of this job often is.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Row } from '../../domain/types.js';

const { sendOne } = proxyActivities<{ sendOne(row: Row): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function naiveUserWorkflow(row: Row): Promise<void> {
  await sendOne(row);
}
