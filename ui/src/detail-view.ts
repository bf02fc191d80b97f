import { byId, el, reconcile, setAttr, setBadge, setText } from './dom.js';
import { stepKey } from './selection.js';
import { dateTime } from './time.js';
import type { StepDetail, StepRef } from './types.js';
import { METRICS, actionWords, audienceWords, partnerName, reasonRows, reasonWords, stepStateWords } from './words.js';

/** The selected step: its facts, the seven metrics, reasons, warnings and last error (the chart is timeline-chart.ts). */

/** Builds the metric cards once, from the product's list of metrics. */
export function initDetail(): void {
  byId('metrics').replaceChildren(
    ...METRICS.map(({ key, label }) =>
      el('div', { class: 'metric' }, el('dt', {}, label), el('dd', { 'data-metric': key })),
    ),
  );
}

export function showDetailMessage(message: string): void {
  setAttr(byId('step-detail'), 'data-state', null);
  setAttr(byId('step-detail'), 'data-step', null);
  byId('detail-body').hidden = true;
  const note = byId('detail-message');
  setText(note, message);
  note.hidden = false;
}

export function showLoading(ref: StepRef): void {
  showDetailMessage(`Loading ${ref.canvasId} / ${ref.stepId}…`);
}

export function renderDetail(step: StepDetail): void {
  const root = byId('step-detail');
  setAttr(root, 'data-state', step.state);
  setAttr(root, 'data-step', stepKey(step));
  byId('detail-message').hidden = true;
  byId('detail-body').hidden = false;

  const state = stepStateWords(step.state);
  setText(byId('detail-name'), `${step.canvasId} / ${step.stepId}`);
  setBadge(byId('detail-state'), state.tone, state.long);
  setText(byId('detail-partner'), partnerName(step.partner));
  setText(byId('detail-ad-account'), step.adAccountId);
  setText(byId('detail-audience'), audienceWords(step.audience));
  setText(byId('detail-action'), actionWords(step.action));
  setText(byId('detail-fields'), step.fields.join(', '));
  setText(byId('detail-last-step'), step.lastStep ? 'Yes: users exit the canvas here' : 'No');

  // Plain digits, so they read the same in every locale (and tests can parse them).
  for (const { key } of METRICS) {
    const value = byId('metrics').querySelector(`[data-metric="${key}"]`);
    if (value) setText(value, String(step.metrics[key]));
  }

  renderReasons(step);
  renderWarnings(step);
  renderLastError(step);
}

function renderReasons(step: StepDetail): void {
  const rows = reasonRows(step.reasons);
  byId('reasons-empty').hidden = rows.length > 0;
  byId('reasons-table').hidden = rows.length === 0;
  reconcile(
    byId('reasons-rows'),
    rows,
    (r) => `${r.outcome}:${r.code}`,
    () => el('tr', {}, el('td'), el('th', { scope: 'row' }), el('td', { class: 'number' })),
    (tr, r) => {
      const [outcome, reason, count] = Array.from(tr.children);
      if (outcome) setText(outcome, r.outcome);
      if (reason) setText(reason, r.words);
      if (count) setText(count, String(r.count));
    },
  );
}

function renderWarnings(step: StepDetail): void {
  const warnings = step.warnings ?? [];
  byId('warnings').hidden = warnings.length === 0;
  reconcile(
    byId('warnings-list'),
    warnings,
    (w) => w.code,
    () => el('li', {}, el('span', { class: 'badge-icon', 'aria-hidden': 'true' }, '⚠'), el('span')),
    (li, w) => {
      const text = li.lastElementChild;
      if (text) setText(text, `Warning: ${w.message}`);
    },
  );
}

function renderLastError(step: StepDetail): void {
  const box = byId('last-error');
  box.hidden = !step.lastError;
  if (!step.lastError) return;
  setText(byId('last-error-message'), `${reasonWords(step.lastError.code)}: ${step.lastError.message}`);
  setText(byId('last-error-at'), `At ${dateTime(step.lastError.at)}`);
}
