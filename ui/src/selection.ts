import type { StepRef } from './types.js';

/** "canvasId/stepId": the key of a step in the list, its `data-step` and its place in the URL hash. */
export function stepKey(ref: StepRef): string {
  return `${ref.canvasId}/${ref.stepId}`;
}

/** `#step=<canvasId>/<stepId>`, so a reload or a shared link opens the same step. */
export function stepHash(ref: StepRef): string {
  return `#step=${encodeURIComponent(ref.canvasId)}/${encodeURIComponent(ref.stepId)}`;
}

/** The step a URL hash names, or undefined when it names none (or is malformed). */
export function parseStepHash(hash: string): StepRef | undefined {
  const match = /^#?step=([^/&]+)\/([^/&]+)$/.exec(hash);
  if (!match) return undefined;
  try {
    return { canvasId: decodeURIComponent(match[1] ?? ''), stepId: decodeURIComponent(match[2] ?? '') };
  } catch {
    return undefined; // a stray "%" that is not an escape
  }
}

export function sameStep(a: StepRef | undefined, b: StepRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.canvasId === b.canvasId && a.stepId === b.stepId;
}
