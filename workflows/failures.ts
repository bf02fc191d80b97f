/**
 * The failure types a partner activity may throw (as `ApplicationFailure.type`). The activity's
 * classifier maps every partner answer onto one of these; workflows decide what each means.
 */
export const Fail = {
  /** The partner rejected the token: pause every step on the connection. Never retried. */
  InvalidToken: 'InvalidToken',
  /** Throttled: retried after the partner's advised delay (`nextRetryDelay`). */
  RateLimited: 'RateLimited',
  /** The audience no longer exists on the partner (confirmed, not just a 404). Never retried. */
  AudienceGone: 'AudienceGone',
  /** The partner refused the request as invalid: retrying cannot help. */
  Rejected: 'Rejected',
  /** Anything else (5xx, network): retried with backoff until the budget ends. */
  Transient: 'Transient',
  /** Launch: no audience with that id or name exists (and creating was not asked for). */
  AudienceNotFound: 'audience_not_found',
  /** Launch: the partner refused to create the audience. */
  AudienceCreateFailed: 'audience_create_failed',
} as const;
export type FailType = (typeof Fail)[keyof typeof Fail];

/** Failure types that retrying can never fix. */
export const NON_RETRYABLE: string[] = [
  Fail.InvalidToken,
  Fail.AudienceGone,
  Fail.Rejected,
  Fail.AudienceNotFound,
  Fail.AudienceCreateFailed,
];
