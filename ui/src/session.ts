/**
 * The workspace key lives in sessionStorage only: it is gone when the tab closes, and it is never
 * written to localStorage, a cookie or the URL.
 */
const KEY = 'audience-sync.workspace-key';

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeKey(workspaceKey: string): void {
  sessionStorage.setItem(KEY, workspaceKey);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
