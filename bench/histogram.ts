// Latency histogram with ~0.5% relative precision from 1 µs to 10 minutes (pure).
// autocannon's own histogram records whole milliseconds, too coarse for a "< 2 ms added
// latency" target, so the load worker records every response's float latency here.

const RATIO = 1.005;
const LOG_RATIO = Math.log(RATIO);
/** ln(600 s in µs) / ln(1.005) ≈ 4_700 buckets. */
const BUCKETS = Math.ceil(Math.log(600e6) / LOG_RATIO) + 2;

export interface LatencySummary {
  /** Milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private maxMs = 0;

  /** Record one latency in milliseconds. */
  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const index = Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / LOG_RATIO));
    this.counts[index]! += 1;
    this.total++;
    this.sum += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.total;
  }

  /** The latency (ms) at or below which `q` (0..1) of the recorded values lie; upper bucket bound, capped at the max seen. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, RATIO ** i / 1000);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return {
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: this.maxMs,
      mean: this.total === 0 ? 0 : this.sum / this.total,
      count: this.total,
    };
  }
}
