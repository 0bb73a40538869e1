// What a fault can be: the FaultSpec shape, its defaults and its validation (zod), shared
// by the programmatic API and the HTTP control surface so both accept exactly the same.
import { z } from 'zod';
import { HttpError, type FieldError } from '../errors.js';
import { parseBody } from '../schemas.js';

/** The statuses errorStatuses may list. */
export type ErrorStatus = 500 | 502 | 503 | 504;

export interface FaultSpec {
  /** Fixed delay, in ms, added before the first byte of the answer is written. */
  latencyMs?: number;
  /** Plus a random 0..jitterMs ms (uniform, integer). */
  jitterMs?: number;
  /** 0..1: share of requests answered with one of errorStatuses instead of the real answer. */
  errorRate?: number;
  /** Chosen from uniformly; each one of 500, 502, 503, 504 (checked when set). Default [503]. */
  errorStatuses?: number[];
  /** 0..1: share of requests answered 429. */
  rateLimitRate?: number;
  /** Retry-After on 429 (and on an injected 503 when set): delta seconds, or 'date' for an HTTP-date retryAfterS ahead. */
  retryAfter?: number | 'date';
  /** Seconds ahead used when retryAfter is 'date'. Default 1. */
  retryAfterS?: number;
  /** 0..1: share of connections destroyed. */
  dropRate?: number;
  /** 'before-headers' (default): nothing written, the handler never runs; 'after-headers': the handler runs, head + part of the body are sent, then the socket is destroyed. */
  dropWhen?: 'before-headers' | 'after-headers';
  /** Stream the answer over this many ms in total (headers at once, then the body in chunks). */
  slowBodyMs?: number;
  /** Chunk size of a slow body, in bytes. Default 64. */
  slowBodyChunkBytes?: number;
}

export interface LockoutPolicy {
  /** Consecutive failed sign-ins of one username that lock it. */
  maxFailures: number;
  /** How long a lock lasts, in ms; absent: until the lockout is cleared or replaced. */
  lockMs?: number;
}

/** Defaults applied when a spec leaves a field out, with the reason for each. */
export const FAULT_DEFAULTS = Object.freeze({
  /** 503 is what a load balancer answers for an unhealthy backend: the most common failure. */
  errorStatuses: Object.freeze([503]) as readonly number[],
  /** A connection that dies before answering is the common case (and the one a client can safely retry only for idempotent methods). */
  dropWhen: 'before-headers' as const,
  /** One second: long enough to be seen, short enough for tests. */
  retryAfterS: 1,
  /** Small chunks so even a short JSON answer is split over several writes. */
  slowBodyChunkBytes: 64,
});

/** Longest latency, jitter or slow-body time, in ms (10 minutes): a bigger one is a typo. */
export const MAX_FAULT_DELAY_MS = 600_000;
/** Longest Retry-After, in seconds (one day). */
const MAX_RETRY_AFTER_S = 86_400;
const MAX_CHUNK_BYTES = 1_048_576;

const rate = z.number().min(0).max(1);
const delayMs = z.int().min(0).max(MAX_FAULT_DELAY_MS);
const seconds = z.int().min(0).max(MAX_RETRY_AFTER_S);

export const faultSpecSchema = z.strictObject({
  latencyMs: delayMs.optional(),
  jitterMs: delayMs.optional(),
  errorRate: rate.optional(),
  errorStatuses: z.array(z.literal([500, 502, 503, 504])).min(1, 'must list at least one status').optional(),
  rateLimitRate: rate.optional(),
  retryAfter: z.union([seconds, z.literal('date')], { error: "must be a whole number of seconds or 'date'" }).optional(),
  retryAfterS: seconds.optional(),
  dropRate: rate.optional(),
  dropWhen: z.enum(['before-headers', 'after-headers']).optional(),
  slowBodyMs: delayMs.optional(),
  slowBodyChunkBytes: z.int().min(1).max(MAX_CHUNK_BYTES).optional(),
});

export const lockoutSchema = z.strictObject({
  maxFailures: z.int().min(1).max(1_000_000),
  lockMs: z.int().min(1).optional(),
});

/** Keys given as undefined are dropped, so that merging over '*' never erases a field. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Validate a spec from the HTTP control surface: a 400 HttpError naming each bad field. */
export function parseFaultSpecBody(body: unknown): FaultSpec {
  return defined(parseBody(faultSpecSchema, body));
}

export function parseLockoutBody(body: unknown): LockoutPolicy {
  return defined(parseBody(lockoutSchema, body));
}

function describeErrors(errors: FieldError[] | undefined): string {
  return (errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
}

/** The same validation for programmatic callers: a RangeError naming each bad field. */
export function validateFaultSpec(spec: unknown, where: string): FaultSpec {
  try {
    return parseFaultSpecBody(spec);
  } catch (err) {
    if (err instanceof HttpError) throw new RangeError(`invalid fault spec for ${where}: ${describeErrors(err.body.errors) || err.message}`);
    throw err;
  }
}

export function validateLockout(policy: unknown): LockoutPolicy {
  try {
    return parseLockoutBody(policy);
  } catch (err) {
    if (err instanceof HttpError) throw new RangeError(`invalid sign-in lockout: ${describeErrors(err.body.errors) || err.message}`);
    throw err;
  }
}

/** A copy the caller may change without touching the stored spec. */
export function copySpec(spec: FaultSpec): FaultSpec {
  return spec.errorStatuses ? { ...spec, errorStatuses: [...spec.errorStatuses] } : { ...spec };
}
