import type { z } from 'zod';
import { ApiError } from './errors.js';

/** One detail per problem, naming where it is: `{ field: "audience.name" }`, or `{ index, field }` inside `users`. */
export function issueDetails(issues: z.core.$ZodIssue[]): Record<string, unknown>[] {
  return issues.slice(0, 100).map((i) => {
    const path = i.path.map(String);
    const keys = i.code === 'unrecognized_keys' ? i.keys : [];
    if (path[0] === 'users' && path.length > 1) {
      const field = [...path.slice(2), ...keys].join('.') || undefined;
      return { index: Number(path[1]), ...(field ? { field } : {}), message: i.message };
    }
    const field = keys.length ? keys.map((k) => [...path, k].join('.')).join(', ') : path.join('.');
    return { field: field || '(body)', message: i.message };
  });
}

/** The value, or 400 `invalid_request` naming every bad field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what = 'request body'): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiError(400, 'invalid_request', `The ${what} is not valid.`, issueDetails(r.error.issues));
}
