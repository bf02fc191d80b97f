import './style.css';
import { ApiError, createApi, type Api } from './api.js';
import { clearConnections, renderConnections } from './connections-view.js';
import { initDetail, renderDetail, showDetailMessage, showLoading } from './detail-view.js';
import { byId, setText } from './dom.js';
import { Poller } from './poller.js';
import { parseStepHash, sameStep, stepHash, stepKey } from './selection.js';
import { forgetKey, storedKey, storeKey } from './session.js';
import { clearSteps, markSelectedStep, onStepSelected, renderSteps } from './steps-view.js';
import { hhmmss } from './time.js';
import { TimelineChart } from './timeline-chart.js';
import type { StepRef, StepSummary } from './types.js';
import { setPartnerLabels } from './words.js';

/** Wires the page: sign-in, sign-out, step selection and the refresh every 5 seconds. */

const REFRESH_MS = 5_000;
const NO_STEP = 'Select a step to see its analytics.';

const signInSection = byId('sign-in');
const signInForm = byId<HTMLFormElement>('sign-in-form');
const keyInput = byId<HTMLInputElement>('workspace-key');
const signInButton = byId<HTMLButtonElement>('sign-in-button');
const signInError = byId('sign-in-error');
const appSection = byId('app');
const signOutButton = byId<HTMLButtonElement>('sign-out');
const updated = byId('updated');
const problem = byId('problem');
const chart = new TimelineChart(
  byId<HTMLCanvasElement>('timeline-chart'),
  byId<HTMLTableSectionElement>('timeline-rows'),
);

/** One signed-in stretch: once ended, answers still in flight for it are dropped. */
interface Session {
  api: Api;
  poller: Poller;
  active: boolean;
}
let session: Session | undefined;

function start(workspaceKey: string): void {
  storeKey(workspaceKey);
  const api = createApi(workspaceKey);
  const current: Session = { api, active: true, poller: new Poller(() => refresh(current), REFRESH_MS) };
  session = current;
  signInSection.hidden = true;
  appSection.hidden = false;
  signOutButton.hidden = false;
  const ref = parseStepHash(location.hash);
  if (ref) showLoading(ref);
  else showDetailMessage('Loading…');
  current.poller.start();
}

/** Back to the sign-in form, forgetting the key; `message` says why when it was not the user's choice. */
function end(message = ''): void {
  if (session) {
    session.active = false;
    session.poller.stop();
    session = undefined;
  }
  forgetKey();
  chart.destroy();
  clearConnections();
  clearSteps();
  showDetailMessage(NO_STEP);
  setText(updated, '');
  setText(problem, '');
  appSection.hidden = true;
  signOutButton.hidden = true;
  signInSection.hidden = false;
  setText(signInError, message);
  keyInput.focus();
}

/** The step in the URL hash, else the first listed (written to the hash so a reload keeps it). */
function selectedStep(steps: readonly StepSummary[]): StepRef | undefined {
  const fromHash = parseStepHash(location.hash);
  if (fromHash) return fromHash;
  const first = steps[0];
  if (first) history.replaceState(null, '', stepHash(first));
  return first && { canvasId: first.canvasId, stepId: first.stepId };
}

async function refresh(current: Session): Promise<void> {
  try {
    const [partners, connections, steps] = await Promise.all([
      current.api.partners(),
      current.api.connections(),
      current.api.steps(),
    ]);
    if (!current.active) return;
    setPartnerLabels(partners);
    const selected = selectedStep(steps);
    renderConnections(connections);
    renderSteps(steps, selected && stepKey(selected));
    if (selected) await refreshDetail(current, selected);
    else showDetailMessage('No step to show yet.');
    if (!current.active) return;
    setText(problem, '');
    setText(updated, `Updated ${hhmmss(new Date())}`);
  } catch (err) {
    if (!current.active) return;
    if (err instanceof ApiError && err.status === 401) return end(err.message);
    // Keep what is on screen, say why it is not fresh, and let the poller try again.
    setText(problem, problemWords(err));
  }
}

async function refreshDetail(current: Session, ref: StepRef): Promise<void> {
  try {
    const [detail, timeline] = await Promise.all([current.api.step(ref), current.api.timeline(ref)]);
    // The user may have picked another step while these were on their way.
    if (!current.active || !sameStep(ref, parseStepHash(location.hash))) return;
    renderDetail(detail);
    chart.show(timeline);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    showDetailMessage(`Step ${ref.canvasId} / ${ref.stepId} was not found in this workspace.`);
  }
}

function problemWords(err: unknown): string {
  if (err instanceof ApiError && err.status === 503) return 'Temporal is unavailable, retrying';
  if (err instanceof ApiError && err.status === 0) return 'The API cannot be reached, retrying';
  const message = err instanceof Error ? err.message : String(err);
  return `Could not refresh (${message.replace(/\.$/, '')}), retrying`;
}

async function signIn(): Promise<void> {
  const workspaceKey = keyInput.value.trim();
  if (!workspaceKey) {
    setText(signInError, 'Enter the workspace key.');
    keyInput.focus();
    return;
  }
  setText(signInError, '');
  signInButton.disabled = true;
  try {
    await createApi(workspaceKey).connections();
  } catch (err) {
    // A wrong key stops here. When Temporal or the API is down the key cannot be checked yet:
    // sign in anyway and keep retrying; a 401 later brings this form back.
    if (!(err instanceof ApiError && err.transient)) {
      setText(signInError, err instanceof Error ? err.message : String(err));
      keyInput.focus();
      return;
    }
  } finally {
    signInButton.disabled = false;
  }
  keyInput.value = '';
  start(workspaceKey);
}

initDetail();
showDetailMessage(NO_STEP);

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn();
});
signOutButton.addEventListener('click', () => end());

onStepSelected((key) => {
  const ref = parseStepHash(`#step=${key}`);
  if (ref) location.hash = stepHash(ref);
});
addEventListener('hashchange', () => {
  if (!session) return;
  const ref = parseStepHash(location.hash);
  markSelectedStep(ref && stepKey(ref));
  if (ref) showLoading(ref);
  session.poller.now();
});

const remembered = storedKey();
if (remembered) start(remembered);
else end();
