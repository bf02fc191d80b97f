import { byId, el, reconcile, setAttr, setBadge, setText, within } from './dom.js';
import { dateTime } from './time.js';
import type { Connection } from './types.js';
import { connectionStatusWords, partnerName } from './words.js';

/** The workspace's partner connections: one table row per partner, invalid ones standing out. */
export function renderConnections(connections: readonly Connection[]): void {
  const table = byId('connections-table');
  table.hidden = connections.length === 0;
  byId('connections-empty').hidden = connections.length > 0;
  reconcile(byId('connections-rows'), connections, (c) => c.partner, createRow, updateRow);
}

export function clearConnections(): void {
  byId('connections-rows').replaceChildren();
}

function createRow(): HTMLElement {
  return el(
    'tr',
    {},
    el('th', { scope: 'row', class: 'partner' }),
    el(
      'td',
      { class: 'status' },
      el('span', { class: 'status-badge' }),
      el('p', { class: 'reconnect-help', hidden: '' }),
    ),
    el('td', { class: 'ad-accounts' }),
    el('td', { class: 'connected-at' }),
    el('td', { class: 'last-error' }),
  );
}

function updateRow(row: HTMLElement, c: Connection): void {
  const status = connectionStatusWords(c.status);
  setAttr(row, 'data-partner', c.partner);
  setAttr(row, 'data-status', c.status);
  row.classList.toggle('needs-attention', status.reconnect);

  setText(within(row, '.partner'), partnerName(c.partner));
  setBadge(within(row, '.status-badge'), status.tone, status.label);

  // What to do, in the API's own terms: there is no reconnect button on this page.
  const help = within(row, '.reconnect-help');
  help.hidden = !status.reconnect;
  setText(
    help,
    status.reconnect
      ? `To reconnect, send a new token with PUT /v1/connections/${c.partner}, or have the partner's owner ` +
          `sign in again through GET /v1/connections/${c.partner}/authorize?redirectUri=…`
      : '',
  );

  const selected = c.adAccounts.filter((a) => a.selected).map((a) => `${a.name} (${a.id})`);
  setText(within(row, '.ad-accounts'), selected.length ? selected.join(', ') : 'None selected');
  setText(within(row, '.connected-at'), c.connectedAt ? dateTime(c.connectedAt) : 'Not connected');
  setText(within(row, '.last-error'), c.lastError ? `${c.lastError.message} (${dateTime(c.lastError.at)})` : 'None');
}
