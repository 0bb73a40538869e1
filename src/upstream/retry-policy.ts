// Pure retry decisions: whether a failed try may be repeated, and after how long.
//
// What may be retried: only methods that are safe to repeat (a retried POST could create
// a device twice), and only failures that say "try again": connection errors, timeouts,
// 502, 503, 504 and 429. The one exception for non-idempotent methods is a failure that
// happened before a byte of the request left (connection refused, connect timeout): the
// upstream never saw it, so sending it again is not sending it twice.
//
// When: exponential backoff with full jitter (a uniformly random delay between 0 and the
// exponential cap) so that many gateways retrying at once spread out; a Retry-After from
// the upstream replaces the computed delay. All tries must start within a time budget;
// a Retry-After that does not fit in what remains ends the retries at once, so the client
// is told to come back later instead of having its connection held.

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Retries may only start this long (ms) after the first try began. */
  budgetMs: number;
  /** Cap of the first backoff (ms); doubles per retry. */
  baseDelayMs: number;
  /** Largest backoff cap (ms). */
  maxDelayMs: number;
}

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** How a try ended, as far as the retry decision is concerned. */
export type TryOutcome =
  | { kind: 'status'; status: number; retryAfter?: string | undefined }
  /** No answer. `sent` is false only when the request certainly never left (refused connection). */
  | { kind: 'error'; sent: boolean };

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'success' | 'not-retryable' | 'method' | 'attempts' | 'budget' | 'retry-after-exceeds-budget' };

export interface DecideInput {
  method: string;
  outcome: TryOutcome;
  /** Tries made so far (1 after the first). */
  attempt: number;
  /** ms since the first try began. */
  elapsedMs: number;
  policy: RetryPolicy;
  /** Wall clock, for HTTP-date Retry-After values. */
  nowMs: number;
  /** Uniform random in [0, 1), injectable for tests. */
  random: () => number;
}

export function decideRetry(input: DecideInput): RetryDecision {
  const { method, outcome, attempt, elapsedMs, policy } = input;
  if (outcome.kind === 'status') {
    if (outcome.status < 400) return { retry: false, reason: 'success' };
    if (!RETRYABLE_STATUSES.has(outcome.status)) return { retry: false, reason: 'not-retryable' };
    // The upstream answered, so it received the request: only safe methods go again.
    if (!IDEMPOTENT_METHODS.has(method)) return { retry: false, reason: 'method' };
  } else if (outcome.sent && !IDEMPOTENT_METHODS.has(method)) {
    return { retry: false, reason: 'method' };
  }
  if (attempt >= policy.attempts) return { retry: false, reason: 'attempts' };

  const remainingMs = policy.budgetMs - elapsedMs;
  const retryAfterMs = outcome.kind === 'status' ? parseRetryAfter(outcome.retryAfter, input.nowMs) : undefined;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > remainingMs) return { retry: false, reason: 'retry-after-exceeds-budget' };
    return { retry: true, delayMs: retryAfterMs };
  }
  const delayMs = backoffDelay(policy, attempt, input.random);
  if (delayMs > remainingMs) return { retry: false, reason: 'budget' };
  return { retry: true, delayMs };
}

/** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * Retry-After in ms: delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`).
 * A date in the past means 0. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
