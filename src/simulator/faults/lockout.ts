// Sign-in lockout, as Cognito does it: after `maxFailures` consecutive failed sign-ins of
// one username, every sign-in of that username is refused (even with the right password)
// until the lock expires or the lockout is cleared. A successful sign-in resets the run.
// Usernames are tracked whether or not the account exists, so a lock never tells a caller
// which usernames are real (sign-in answers the same for both). No I/O; the clock is injected.
import type { LockoutPolicy } from './spec.js';

/** Most usernames tracked at once; beyond it the oldest are forgotten first. */
const MAX_TRACKED_USERNAMES = 10_000;

interface Attempts {
  failures: number;
  /** ms; Infinity: locked until cleared; null: not locked. */
  lockedUntilMs: number | null;
}

export class SigninLockout {
  private current: LockoutPolicy | null = null;
  private readonly attempts = new Map<string, Attempts>();

  constructor(private readonly now: () => number) {}

  /** Set (or with null, turn off) the policy. Either way every count and lock starts over. */
  configure(policy: LockoutPolicy | null): void {
    this.current = policy ? { ...policy } : null;
    this.attempts.clear();
  }

  policy(): LockoutPolicy | null {
    return this.current ? { ...this.current } : null;
  }

  isLocked(username: string): boolean {
    if (!this.current) return false;
    const key = username.toLowerCase();
    const entry = this.attempts.get(key);
    if (!entry || entry.lockedUntilMs === null) return false;
    if (this.now() < entry.lockedUntilMs) return true;
    // The lock ran out: the account starts over with no failures.
    this.attempts.delete(key);
    return false;
  }

  recordFailure(username: string): void {
    const policy = this.current;
    if (!policy) return;
    const key = username.toLowerCase();
    const entry = this.attempts.get(key) ?? { failures: 0, lockedUntilMs: null };
    entry.failures += 1;
    if (entry.failures >= policy.maxFailures) {
      entry.lockedUntilMs = policy.lockMs === undefined ? Number.POSITIVE_INFINITY : this.now() + policy.lockMs;
    }
    this.attempts.delete(key); // re-insert: the map stays in last-attempt order for pruning
    this.attempts.set(key, entry);
    for (const oldest of this.attempts.keys()) {
      if (this.attempts.size <= MAX_TRACKED_USERNAMES) break;
      this.attempts.delete(oldest);
    }
  }

  recordSuccess(username: string): void {
    this.attempts.delete(username.toLowerCase());
  }

  /** Lower-cased usernames locked right now. */
  locked(): string[] {
    return [...this.attempts.keys()].filter((username) => this.isLocked(username));
  }
}
