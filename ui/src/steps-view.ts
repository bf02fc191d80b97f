import { byId, el, reconcile, setAttr, setBadge, setText, within } from './dom.js';
import { stepKey } from './selection.js';
import type { StepSummary } from './types.js';
import { partnerName, stepStateWords } from './words.js';

/** The workspace's steps as buttons; the selected one is marked with aria-current. */
export function renderSteps(steps: readonly StepSummary[], selectedKey: string | undefined): void {
  byId('steps-empty').hidden = steps.length > 0;
  reconcile(byId('steps-list'), steps, stepKey, createItem, (item, step) => updateItem(item, step, selectedKey));
}

/** Marks the selected step at once, before its detail arrives. */
export function markSelectedStep(selectedKey: string | undefined): void {
  for (const button of byId('steps-list').querySelectorAll<HTMLButtonElement>('button[data-step]')) {
    setAttr(button, 'aria-current', button.dataset.step === selectedKey ? 'true' : null);
  }
}

export function clearSteps(): void {
  byId('steps-list').replaceChildren();
}

/** Calls `onSelect` with the `canvasId/stepId` of the step button clicked (Enter and Space click too). */
export function onStepSelected(onSelect: (key: string) => void): void {
  byId('steps-list').addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-step]');
    if (button?.dataset.step) onSelect(button.dataset.step);
  });
}

function createItem(): HTMLElement {
  return el(
    'li',
    {},
    el(
      'button',
      { type: 'button', class: 'step-button' },
      el('span', { class: 'step-name' }),
      el('span', { class: 'step-partner' }),
      el('span', { class: 'step-state' }),
    ),
  );
}

function updateItem(item: HTMLElement, step: StepSummary, selectedKey: string | undefined): void {
  const button = item.querySelector<HTMLButtonElement>('button');
  if (!button) return;
  const key = stepKey(step);
  const state = stepStateWords(step.state);
  setAttr(button, 'data-step', key);
  setAttr(button, 'data-state', step.state);
  setAttr(button, 'aria-current', key === selectedKey ? 'true' : null);
  setText(within(button, '.step-name'), `${step.canvasId} / ${step.stepId}`);
  setText(within(button, '.step-partner'), partnerName(step.partner));
  setBadge(within(button, '.step-state'), state.tone, state.short);
}
