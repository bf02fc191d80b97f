/** Upserts a workflow's search attributes (domain/search-attributes.ts defines them). */
import type { SearchAttributePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
export { connectionAttributes, stepAttributes } from '../domain/search-attributes.js';

/**
 * Workflow code only. Upserts the attributes in `wanted` whose value differs from what the
 * workflow carries now (set at start, carried over by continue-as-new, or upserted before), so
 * calling it after every possible change adds an event only when something did change.
 */
export function upsertChanged(wanted: SearchAttributePair[]): void {
  const current = workflowInfo().typedSearchAttributes;
  const changed = wanted.filter(({ key, value }) => current.get(key) !== value);
  if (changed.length === 0) return;
  upsertSearchAttributes(changed);
}
