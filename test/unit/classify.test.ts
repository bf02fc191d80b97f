import { describe, expect, it } from 'vitest';
import { retryAfterMs, toFailure, type Answer } from '../../partners/answers.js';
import { classifyFacebook, facebookUsage } from '../../partners/facebook/classify.js';
import { classifyLinkedIn } from '../../partners/linkedin/classify.js';
import { classifyPinterest } from '../../partners/pinterest/classify.js';
import { classifyTikTok } from '../../partners/tiktok/classify.js';
import { Fail } from '../../domain/failures.js';

const answer = (status: number, body?: unknown, headers: Answer['headers'] = {}): Answer => ({ status, body, headers });

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs(answer(429, undefined, { 'retry-after': '7' }))).toBe(7_000);
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(retryAfterMs(answer(429, undefined, { 'retry-after': 'Tue, 24 Nov 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(answer(429, undefined, { 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('LinkedIn', () => {
  it('reads 401 and 403 as an invalid token, 429 as rate limited (with or without a hint)', () => {
    expect(classifyLinkedIn(answer(401)).kind).toBe('invalid_token');
    expect(classifyLinkedIn(answer(403)).kind).toBe('invalid_token');
    expect(classifyLinkedIn(answer(429))).toEqual({
      kind: 'rate_limited',
      message: 'LinkedIn answered HTTP 429: rate limited.',
    });
    expect(classifyLinkedIn(answer(429, undefined, { 'retry-after': '3' }))).toMatchObject({ retryAfterMs: 3_000 });
  });
  it('reads 429 SEGMENT_LIMIT_EXCEEDED as the 1,000-segment cap, not a throttle', () => {
    const capped = answer(429, { status: 429, code: 'SEGMENT_LIMIT_EXCEEDED', message: 'limit' });
    expect(classifyLinkedIn(capped).kind).toBe('limit_reached');
    expect(classifyLinkedIn(answer(429, { status: 429, message: 'throttled' })).kind).toBe('rate_limited');
  });
  it('never believes a 404 without a lookup: a new segment answers 404 for a while', () => {
    expect(classifyLinkedIn(answer(404)).kind).toBe('maybe_gone');
  });
  it('reads 400 as rejected and 5xx as transient', () => {
    expect(classifyLinkedIn(answer(400)).kind).toBe('rejected');
    expect(classifyLinkedIn(answer(503)).kind).toBe('transient');
    expect(classifyLinkedIn(answer(200)).kind).toBe('ok');
  });
});

describe('Facebook', () => {
  const fb = (code: number, sub?: number, headers: Answer['headers'] = {}) =>
    classifyFacebook(answer(400, { error: { code, error_subcode: sub, type: 'OAuthException' } }, headers));
  const usage = JSON.stringify({
    '123': [
      {
        type: 'custom_audience',
        call_count: 98,
        total_cputime: 20,
        total_time: 30,
        estimated_time_to_regain_access: 4,
      },
    ],
  });

  it('reads code 190 as an invalid token', () => {
    expect(fb(190, 460).kind).toBe('invalid_token');
  });
  it('reads throttle codes as rate limited, waiting as long as the usage header says', () => {
    expect(fb(17, 2446079, { 'x-business-use-case-usage': usage })).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 240_000,
    });
    expect(fb(80003).kind).toBe('rate_limited');
    expect(facebookUsage(answer(200, {}, { 'x-business-use-case-usage': usage }))).toEqual({
      maxPercent: 98,
      regainMs: 240_000,
    });
  });
  it('reads "Custom Audience Has Been Deleted" as gone, 100/33 as to be confirmed, other 100s as rejected', () => {
    expect(fb(200, 1487366).kind).toBe('gone');
    expect(fb(100, 33).kind).toBe('maybe_gone');
    expect(fb(100).kind).toBe('rejected');
  });
  it('reads 100/1713230 (users of a flagged audience) and 100/1713231 (editing it) as restricted', () => {
    const flagged = (sub: number) =>
      answer(400, { error: { message: 'Invalid parameter', code: 100, error_subcode: sub } });
    expect(classifyFacebook(flagged(1713230)).kind).toBe('restricted');
    expect(classifyFacebook(flagged(1713231)).kind).toBe('restricted');
    expect(classifyFacebook(flagged(1870053)).kind).toBe('rejected');
  });
  it('reads server errors as transient', () => {
    expect(fb(2).kind).toBe('transient');
    expect(classifyFacebook(answer(502, 'Bad Gateway')).kind).toBe('transient');
  });
});

describe('Pinterest', () => {
  it('reads 401 as an invalid token, 429 as rate limited, 404 as to be confirmed, 400 as rejected', () => {
    expect(classifyPinterest(answer(401, { code: 2, message: 'Authentication failed.' })).kind).toBe('invalid_token');
    expect(classifyPinterest(answer(429, { code: 8 }, { 'retry-after': '2' }))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 2_000,
    });
    expect(classifyPinterest(answer(404, { code: 1018 })).kind).toBe('maybe_gone');
    expect(classifyPinterest(answer(400, { code: 2740 })).kind).toBe('rejected');
  });
  it('waits x-ratelimit-reset (seconds) on a 429 without Retry-After', () => {
    expect(classifyPinterest(answer(429, { code: 8 }, { 'x-ratelimit-reset': '4' }))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 4_000,
    });
    const both = { 'retry-after': '2', 'x-ratelimit-reset': '30' };
    expect(classifyPinterest(answer(429, { code: 8 }, both))).toMatchObject({ retryAfterMs: 2_000 });
    expect(classifyPinterest(answer(429, { code: 8 }))).not.toHaveProperty('retryAfterMs');
  });
});

describe('TikTok', () => {
  const tt = (code: number) => classifyTikTok(answer(200, { code, message: 'x', request_id: 'r' }));
  it('finds the error inside an HTTP 200', () => {
    expect(tt(0).kind).toBe('ok');
    expect(tt(20001).kind).toBe('ok');
    expect(tt(40105).kind).toBe('invalid_token');
    expect(tt(40100)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1_000 });
    expect(tt(40133).kind).toBe('rate_limited');
    expect(tt(40000).kind).toBe('rejected');
  });
  it('confirms 40007 and 40002 (still processing) before believing the audience is gone', () => {
    expect(tt(40007).kind).toBe('maybe_gone');
    expect(tt(40002).kind).toBe('maybe_gone');
  });
  it('reads an HTTP 4xx as our mistake (rejected) and 5xx as transient', () => {
    expect(classifyTikTok(answer(404, 'Not Found')).kind).toBe('rejected');
    expect(classifyTikTok(answer(500)).kind).toBe('transient');
  });
});

describe('toFailure', () => {
  it('makes what retrying cannot fix non-retryable, and passes the advised delay on', () => {
    const token = toFailure({ kind: 'invalid_token', message: 'm' });
    expect([token.type, token.nonRetryable]).toEqual([Fail.TokenInvalid, true]);
    const limited = toFailure({ kind: 'rate_limited', message: 'm', retryAfterMs: 240_000 });
    expect([limited.type, limited.nonRetryable, limited.nextRetryDelay]).toEqual([Fail.RateLimited, false, 240_000]);
    expect(toFailure({ kind: 'gone', message: 'm' })).toMatchObject({ type: Fail.AudienceDeleted, nonRetryable: true });
    expect(toFailure({ kind: 'rejected', message: 'm' })).toMatchObject({ type: Fail.Rejected, nonRetryable: true });
    expect(toFailure({ kind: 'restricted', message: 'm' })).toMatchObject({
      type: Fail.AudienceRestricted,
      nonRetryable: true,
    });
    expect(toFailure({ kind: 'limit_reached', message: 'm' })).toMatchObject({
      type: Fail.AudienceLimitReached,
      nonRetryable: true,
    });
    expect(toFailure({ kind: 'maybe_gone', message: 'm' })).toMatchObject({
      type: Fail.PartnerUnavailable,
      nonRetryable: false,
    });
  });
});
