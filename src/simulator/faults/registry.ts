// The faults set on one simulator, and the per-request decision of which fault (if any)
// applies. Decisions come from a seeded PRNG owned by this registry, so a run with the
// same seed and the same sequence of requests makes the same decisions.
import { isEndpointKey } from '../endpoints.js';
import { createRng, type Rng } from '../prng.js';
import { SigninLockout } from './lockout.js';
import { copySpec, FAULT_DEFAULTS, validateFaultSpec, validateLockout, type FaultSpec, type LockoutPolicy } from './spec.js';

/** The target that applies to every endpoint; an endpoint's own spec overrides it field by field. */
export const ALL_ENDPOINTS = '*';

export interface FaultController {
  /** Set (replace) the spec of '*' (every endpoint) or of one endpoint key as in calls(), e.g. 'GET /v1/asset/:id'. */
  set(target: string, spec: FaultSpec): void;
  /** Remove one target's spec, or every spec. Does not touch the sign-in lockout. */
  clear(target?: string): void;
  /** The specs set, by target (copies). */
  get(): Record<string, FaultSpec>;
  /** Lock an account after `maxFailures` consecutive failed sign-ins (for lockMs, default: until cleared). While locked even the right password is refused. null turns it off. */
  setSigninLockout(opts: LockoutPolicy | null): void;
  /** The lockout policy in force, or null. */
  signinLockout(): LockoutPolicy | null;
  /** Lower-cased usernames locked right now. */
  lockedAccounts(): string[];
}

/** How one request is answered. */
export type FaultPlan =
  /** The real answer, perhaps delayed, slowed, or cut after the headers. */
  | { kind: 'real'; delayMs: number; slowBodyMs: number; chunkBytes: number; cutAfterHeaders: boolean }
  /** Connection destroyed (after delayMs) before anything is written; the handler does not run. */
  | { kind: 'drop'; delayMs: number }
  /** 429 or an error status instead of the real answer; the handler does not run. */
  | { kind: 'status'; status: number; retryAfter: string | undefined; delayMs: number; slowBodyMs: number; chunkBytes: number };

export class FaultRegistry implements FaultController {
  private readonly specs = new Map<string, FaultSpec>();
  private readonly rng: Rng;
  readonly lockout: SigninLockout;

  constructor(
    seed: number,
    private readonly now: () => number,
  ) {
    this.rng = createRng(seed);
    this.lockout = new SigninLockout(now);
  }

  set(target: string, spec: FaultSpec): void {
    this.specs.set(checkTarget(target), validateFaultSpec(spec, target));
  }

  clear(target?: string): void {
    if (target === undefined) this.specs.clear();
    else this.specs.delete(checkTarget(target));
  }

  get(): Record<string, FaultSpec> {
    return Object.fromEntries([...this.specs].map(([target, spec]) => [target, copySpec(spec)]));
  }

  setSigninLockout(opts: LockoutPolicy | null): void {
    this.lockout.configure(opts === null ? null : validateLockout(opts));
  }

  signinLockout(): LockoutPolicy | null {
    return this.lockout.policy();
  }

  lockedAccounts(): string[] {
    return this.lockout.locked();
  }

  /**
   * Decide how a request to `endpoint` is answered, or null when no fault applies (the
   * fast path: nothing to do). One draw picks the outcome from consecutive ranges
   * [drop | 429 | error | real], so each rate is exactly the share asked for, and the
   * precedence only matters when the rates add up to more than 1.
   */
  plan(endpoint: string): FaultPlan | null {
    const all = this.specs.get(ALL_ENDPOINTS);
    const own = this.specs.get(endpoint);
    if (!all && !own) return null;
    const spec: FaultSpec = { ...all, ...own };

    const dropRate = spec.dropRate ?? 0;
    const rateLimitRate = spec.rateLimitRate ?? 0;
    const errorRate = spec.errorRate ?? 0;
    const roll = dropRate + rateLimitRate + errorRate > 0 ? this.rng.next() : 1;
    const delayMs = (spec.latencyMs ?? 0) + (spec.jitterMs ? this.rng.int(0, spec.jitterMs) : 0);
    const slowBodyMs = spec.slowBodyMs ?? 0;
    const chunkBytes = spec.slowBodyChunkBytes ?? FAULT_DEFAULTS.slowBodyChunkBytes;
    const dropWhen = spec.dropWhen ?? FAULT_DEFAULTS.dropWhen;

    if (roll < dropRate && dropWhen === 'before-headers') return { kind: 'drop', delayMs };
    if (roll < dropRate) return { kind: 'real', delayMs, slowBodyMs, chunkBytes, cutAfterHeaders: true };
    if (roll < dropRate + rateLimitRate) {
      return { kind: 'status', status: 429, retryAfter: this.retryAfter(spec), delayMs, slowBodyMs, chunkBytes };
    }
    if (roll < dropRate + rateLimitRate + errorRate) {
      const status = this.rng.pick(spec.errorStatuses ?? FAULT_DEFAULTS.errorStatuses);
      return { kind: 'status', status, retryAfter: status === 503 ? this.retryAfter(spec) : undefined, delayMs, slowBodyMs, chunkBytes };
    }
    if (delayMs === 0 && slowBodyMs === 0) return null;
    return { kind: 'real', delayMs, slowBodyMs, chunkBytes, cutAfterHeaders: false };
  }

  /**
   * The Retry-After value, or undefined when the spec sets none. The HTTP-date form is
   * rounded up to the next whole second, so it is at least retryAfterS ahead even though
   * the format has no fractions.
   */
  private retryAfter(spec: FaultSpec): string | undefined {
    if (spec.retryAfter === undefined) return undefined;
    if (spec.retryAfter !== 'date') return String(spec.retryAfter);
    const atMs = this.now() + (spec.retryAfterS ?? FAULT_DEFAULTS.retryAfterS) * 1000;
    return new Date(Math.ceil(atMs / 1000) * 1000).toUTCString();
  }
}

function checkTarget(target: string): string {
  if (target === ALL_ENDPOINTS || isEndpointKey(target)) return target;
  throw new RangeError(`unknown fault target ${JSON.stringify(target)}: use '*' or an endpoint key such as 'GET /v1/asset/:id'`);
}
