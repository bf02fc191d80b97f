/** A caller of one sandbox partner's `/_sandbox/<partner>` control endpoints: GET without a body, POST with one. */
export function sandboxControl(baseUrl: () => string, partner: string) {
  return (path: string, body?: unknown): Promise<Response> =>
    fetch(`${baseUrl()}/_sandbox/${partner}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}
