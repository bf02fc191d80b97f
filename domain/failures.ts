/**
 * The failure codes of the whole service, snake_case: what a partner activity throws (as
 * `ApplicationFailure.type`), what the workflows act on, and what the API answers (a step's
 * `lastError.code`, `launch_refused` reasons). Each partner's classifier maps its answers onto
 * these; workflows decide what each means.
 */
export const Fail = {
  /** The partner rejected the token: pause every step on the connection. Never retried. */
  TokenInvalid: 'token_invalid',
  /** Throttled: retried after the partner's advised delay (`nextRetryDelay`). */
  RateLimited: 'rate_limited',
  /** The audience no longer exists on the partner (confirmed, not just a 404). Never retried. */
  AudienceDeleted: 'audience_deleted',
  /**
   * Meta flagged the audience (it may suggest health or financial status: `operation_status`
   * 471) and refuses every edit of it until appealed (100 / 1713230). Never retried.
   */
  AudienceRestricted: 'audience_restricted',
  /**
   * The ad account holds as many audiences as the partner allows (Facebook 500, LinkedIn 1,000
   * DMP segments): creating one more is refused. LinkedIn says so with a 429, which is no throttle.
   */
  AudienceLimitReached: 'audience_limit_reached',
  /** The partner refused the request as invalid: retrying cannot help. */
  Rejected: 'rejected',
  /** Anything else (5xx, network): retried with backoff until the budget ends. */
  PartnerUnavailable: 'partner_unavailable',
  /** Launch: no audience with that id or name exists (and creating was not asked for). */
  AudienceNotFound: 'audience_not_found',
  /** Launch: the partner refused to create the audience. */
  AudienceCreateFailed: 'audience_create_failed',
} as const;
export type FailType = (typeof Fail)[keyof typeof Fail];

/** Failure types that retrying can never fix. */
export const NON_RETRYABLE: string[] = [
  Fail.TokenInvalid,
  Fail.AudienceDeleted,
  Fail.AudienceRestricted,
  Fail.AudienceLimitReached,
  Fail.Rejected,
  Fail.AudienceNotFound,
  Fail.AudienceCreateFailed,
];
