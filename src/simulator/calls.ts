// Per-endpoint request counters, keyed "METHOD /route/pattern" (e.g. "GET /v1/asset/:id").
// A request counts once it has been routed, whatever the answer (401, 400, 404 included,
// and injected faults too). Next to the total, each request is recorded by who answered
// it: the simulator itself ("real") or an injected fault. Control-surface requests
// (/_simulator/...) are never counted.

/** How the requests of one endpoint were answered. real + faulted = calls()[endpoint]. */
export interface FaultCounts {
  /** Answered by the simulator itself (token check, validation, handler), perhaps delayed, slowed or cut after the headers. */
  real: number;
  /** Answered by an injected fault instead: dropped + rateLimited + errors. The handler did not run. */
  faulted: number;
  /** Connection destroyed before anything was written. */
  dropped: number;
  /** Answered 429. */
  rateLimited: number;
  /** Answered an injected 500/502/503/504. */
  errors: number;
  /** Of `real`: the handler ran (a create did create), then the connection was cut after the headers and part of the body. */
  droppedAfterHeaders: number;
  /** Of `real`: sign-ins refused because the account was locked. */
  lockedOut: number;
}

export type Outcome = 'real' | 'dropped' | 'rateLimited' | 'errors' | 'droppedAfterHeaders' | 'lockedOut';

const FAULTED: ReadonlySet<Outcome> = new Set(['dropped', 'rateLimited', 'errors']);

const empty = (): FaultCounts => ({ real: 0, faulted: 0, dropped: 0, rateLimited: 0, errors: 0, droppedAfterHeaders: 0, lockedOut: 0 });

export class CallCounter {
  private readonly counts = new Map<string, number>();
  private readonly outcomes = new Map<string, FaultCounts>();

  hit(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /**
   * Record how a counted request was answered. 'real' and the three fault kinds are
   * recorded once per request (before any handler runs); 'droppedAfterHeaders' and
   * 'lockedOut' are details of a request already recorded as 'real'.
   */
  record(key: string, outcome: Outcome): void {
    let entry = this.outcomes.get(key);
    if (!entry) this.outcomes.set(key, (entry = empty()));
    entry[outcome] += 1;
    if (FAULTED.has(outcome)) entry.faulted += 1;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Copies, so the caller may change them freely. */
  faultCounts(): Record<string, FaultCounts> {
    return Object.fromEntries([...this.outcomes].map(([key, counts]) => [key, { ...counts }]));
  }

  reset(): void {
    this.counts.clear();
    this.outcomes.clear();
  }
}
