/** The few DOM helpers the views share: build elements, and change only what changed. */

type Child = Node | string;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** The element with this id, which index.html must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`index.html has no #${id}`);
  return node as T;
}

/** The element under `root` matching `selector`, which the view that built `root` put there. */
export function within(root: Element, selector: string): HTMLElement {
  const node = root.querySelector<HTMLElement>(selector);
  if (!node)
    throw new Error(`${root.tagName.toLowerCase()}${root.className ? `.${root.className}` : ''} has no ${selector}`);
  return node;
}

/** Sets text only when it differs, so a refresh that changes nothing repaints and re-announces nothing. */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets an attribute only when it differs; null removes it. */
export function setAttr(node: Element, name: string, value: string | null): void {
  if (value === null) node.removeAttribute(name);
  else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/**
 * Keeps one child of `parent` per item, in the items' order, matched by key: existing children are
 * updated in place (so keyboard focus and screen-reader position survive a refresh), new ones are
 * created, and those whose item is gone are removed.
 */
export function reconcile<T>(
  parent: Element,
  items: readonly T[],
  keyOf: (item: T) => string,
  create: (item: T) => HTMLElement,
  update: (node: HTMLElement, item: T) => void,
): void {
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children)) {
    const key = child instanceof HTMLElement ? child.dataset.key : undefined;
    if (key === undefined || existing.has(key)) child.remove();
    else existing.set(key, child as HTMLElement);
  }
  let cursor = parent.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    if (node === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(node, cursor);
  }
  for (const node of existing.values()) node.remove();
}

const ICONS: Record<string, string> = { ok: '✓', working: '↻', attention: '⚠', neutral: '■' };

/**
 * Fills `node` with an icon and words for a state. The icon is decoration (aria-hidden) and the
 * colour comes from the tone class; the words alone carry the meaning.
 */
export function setBadge(node: HTMLElement, tone: string, words: string): void {
  node.classList.add('badge');
  for (const t of ['ok', 'working', 'attention', 'neutral']) node.classList.toggle(`tone-${t}`, t === tone);
  let icon = node.querySelector<HTMLElement>('.badge-icon');
  let text = node.querySelector<HTMLElement>('.badge-text');
  if (!icon || !text) {
    icon = el('span', { class: 'badge-icon', 'aria-hidden': 'true' });
    text = el('span', { class: 'badge-text' });
    node.replaceChildren(icon, text);
  }
  setText(icon, ICONS[tone] ?? ICONS.neutral ?? '');
  setText(text, words);
}
