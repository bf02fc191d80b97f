import { httpFallback, type Answer, type Classified } from '../answers.js';

interface PinterestError {
  code?: number;
}

/** Pinterest: `{code, message}` with 400/401/403/404/429; not found is 404 with 1000/1001/1018. */
export function classifyPinterest(answer: Answer): Classified {
  const code = (answer.body as PinterestError | undefined)?.code;
  if (answer.status === 403)
    return { kind: 'invalid_token', message: 'Pinterest answered HTTP 403: the token may not use this ad account.' };
  if (answer.status === 404)
    return { kind: 'maybe_gone', message: `Pinterest answered HTTP 404 (code ${code ?? 'none'}).` };
  return httpFallback('Pinterest', answer);
}
