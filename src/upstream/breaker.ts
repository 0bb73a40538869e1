// Circuit breaker on the upstream (cockatiel's ConsecutiveBreaker): after a run of
// consecutive failures (no answer, or a 5xx) calls stop for a while and are answered 503
// at once; then one probe goes through, and its result closes or reopens the circuit.
// 4xx and 429 are answers about the request, not signs of an outage, so they count as
// successes here.
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, handleWhenResult } from 'cockatiel';
import { UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';

export { BrokenCircuitError };

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long it stays open before one probe is let through (ms). */
  openMs: number;
  now?: () => number;
  /** Told each time the circuit opens (metrics). */
  onOpen?: () => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class UpstreamBreaker {
  private readonly policy;
  private openedAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
    const outage = handleWhen((err) => err instanceof UpstreamTimeoutError || err instanceof UpstreamUnavailableError).orWhenResult(
      (res) => (res as { status?: number }).status !== undefined && (res as { status: number }).status >= 500,
    );
    this.policy = circuitBreaker(outage, { halfOpenAfter: options.openMs, breaker: new ConsecutiveBreaker(options.failures) });
    this.policy.onBreak(() => {
      this.openedAt = this.now();
      options.onOpen?.();
    });
  }

  /** Run one upstream try through the breaker. Throws BrokenCircuitError while open. */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    return this.policy.execute(fn);
  }

  /**
   * The state as callers should see it. cockatiel only moves from open to half-open when
   * a call arrives; we report half-open as soon as a probe would be let through, so a load
   * balancer polling /ready sends the traffic that lets the circuit close again.
   */
  get state(): BreakerState {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return this.retryAfterS() > 0 ? 'open' : 'half-open';
    }
  }

  /** Seconds until a probe may go through (0 when not open). */
  retryAfterS(): number {
    if (this.policy.state !== CircuitState.Open && this.policy.state !== CircuitState.Isolated) return 0;
    return Math.max(0, Math.ceil((this.openedAt + this.options.openMs - this.now()) / 1000));
  }
}
