/** The partner's OAuth consent page for a connection: where the API sends the user's browser. */
export function consentUrl(page: string, params: Record<string, string>): string {
  const url = new URL(page);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}
