// The pure retry decision: which failures are retried, for which methods, and when.
import { describe, expect, it } from 'vitest';
import { backoffDelay, decideRetry, parseRetryAfter, type DecideInput, type RetryPolicy } from '../src/upstream/retry-policy.js';

const policy: RetryPolicy = { attempts: 3, budgetMs: 10_000, baseDelayMs: 200, maxDelayMs: 3000 };
const NOW = Date.parse('2026-12-03T12:00:00Z');
const input = (over: Partial<DecideInput>): DecideInput => ({
  method: 'GET',
  outcome: { kind: 'status', status: 503 },
  attempt: 1,
  elapsedMs: 0,
  policy,
  nowMs: NOW,
  random: () => 0.5,
  ...over,
});

describe('decideRetry', () => {
  it.each([200, 201, 204, 302])('never retries a %i', (status) => {
    expect(decideRetry(input({ outcome: { kind: 'status', status } }))).toEqual({ retry: false, reason: 'success' });
  });

  it.each([400, 401, 404, 409, 500, 501])('does not retry a %i', (status) => {
    expect(decideRetry(input({ outcome: { kind: 'status', status } }))).toEqual({ retry: false, reason: 'not-retryable' });
  });

  it.each([429, 502, 503, 504])('retries a %i for every safe method', (status) => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
      expect(decideRetry(input({ method, outcome: { kind: 'status', status } })).retry).toBe(true);
    }
  });

  it('never retries POST or PATCH once the upstream may have seen them', () => {
    for (const method of ['POST', 'PATCH']) {
      expect(decideRetry(input({ method, outcome: { kind: 'status', status: 503 } }))).toEqual({ retry: false, reason: 'method' });
      expect(decideRetry(input({ method, outcome: { kind: 'error', sent: true } }))).toEqual({ retry: false, reason: 'method' });
    }
  });

  it('retries a POST that certainly never left (connection refused)', () => {
    expect(decideRetry(input({ method: 'POST', outcome: { kind: 'error', sent: false } })).retry).toBe(true);
  });

  it('stops after the configured number of tries', () => {
    expect(decideRetry(input({ attempt: 2 })).retry).toBe(true);
    expect(decideRetry(input({ attempt: 3 }))).toEqual({ retry: false, reason: 'attempts' });
  });

  it('honours Retry-After in seconds and as an HTTP date, instead of the backoff', () => {
    expect(decideRetry(input({ outcome: { kind: 'status', status: 429, retryAfter: '2' } }))).toEqual({ retry: true, delayMs: 2000 });
    const date = new Date(NOW + 3000).toUTCString();
    expect(decideRetry(input({ outcome: { kind: 'status', status: 503, retryAfter: date } }))).toEqual({ retry: true, delayMs: 3000 });
  });

  it('gives up at once when Retry-After is longer than the remaining budget', () => {
    expect(decideRetry(input({ outcome: { kind: 'status', status: 429, retryAfter: '120' } }))).toEqual({ retry: false, reason: 'retry-after-exceeds-budget' });
    expect(decideRetry(input({ elapsedMs: 9000, outcome: { kind: 'status', status: 429, retryAfter: '2' } }))).toEqual({
      retry: false,
      reason: 'retry-after-exceeds-budget',
    });
  });

  it('does not start a retry whose backoff would end after the budget', () => {
    expect(decideRetry(input({ elapsedMs: 9990, random: () => 0.99 }))).toEqual({ retry: false, reason: 'budget' });
  });
});

describe('backoffDelay (full jitter)', () => {
  it('is uniform between 0 and the doubling cap, capped at maxDelayMs', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(0);
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(199);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(400);
    expect(backoffDelay(policy, 10, () => 0.5)).toBe(1500);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates; past dates are 0; junk is ignored', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 5 ', NOW)).toBe(5000);
    expect(parseRetryAfter(new Date(NOW + 10_000).toUTCString(), NOW)).toBe(10_000);
    expect(parseRetryAfter(new Date(NOW - 10_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('-1', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('1.5', NOW)).toBeUndefined();
  });
});
