// When a bulk command tries a request again, and after how long (pure). The gateway already
// retries what it safely can within its own budget; these retries cover what outlasts it:
// a circuit breaker open for 10 s, a rate limit, a gateway restarting.

/** Statuses worth another try of a page read: rate limited, or the upstream failed or was slow. */
export const PAGE_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Statuses after which a POST is known NOT to have been processed, so sending it again
 * cannot create a second asset: 429 (refused before any work) and 503 (the gateway's
 * circuit is open, it is shutting down, or Evercycle said "unavailable, retry later").
 * A 502 or 504 may follow a processed request: never a reason to resend a POST.
 */
export const POST_RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** The longest Retry-After obeyed; a longer one stops the command (resume it later). */
export const MAX_RETRY_AFTER_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export type RetryDecision = { retry: true; waitMs: number } | { retry: false; reason?: string };

export interface FailedTry {
  /** HTTP status; undefined when no answer came (connection refused, reset, timed out). */
  status?: number;
  retryAfter?: string | string[];
  /** Tries failed so far, this one included (1 after the first). */
  failures: number;
}

export interface RetryPolicy {
  /** Retries after the first try. */
  retries: number;
  statuses: ReadonlySet<number>;
  /** Whether a try without an answer may be repeated (true for reads only). */
  retryWithoutAnswer: boolean;
}

export function retryDecision(failed: FailedTry, policy: RetryPolicy, now = Date.now(), random = Math.random): RetryDecision {
  const retryable = failed.status === undefined ? policy.retryWithoutAnswer : policy.statuses.has(failed.status);
  if (!retryable) return { retry: false };
  if (failed.failures > policy.retries) return { retry: false, reason: `gave up after ${failed.failures} tries` };
  const asked = retryAfterMs(failed.retryAfter, now);
  if (asked !== undefined) {
    if (asked > MAX_RETRY_AFTER_MS) return { retry: false, reason: `asked to retry after ${Math.ceil(asked / 1000)} s` };
    return { retry: true, waitMs: asked };
  }
  return { retry: true, waitMs: backoffMs(failed.failures, random) };
}

/** Exponential backoff with "equal jitter": between half and all of 0.5 s, 1 s, 2 s ... capped at 10 s. */
export function backoffMs(failures: number, random = Math.random): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** A Retry-After header (delta seconds or an HTTP date) in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
