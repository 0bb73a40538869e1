// The targets of the benchmark issue, checked against one run's results (pure).
// A missed target is reported, never a reason to fail the process.
import type { Measurement, RunResults } from './results.js';

export interface TargetCheck {
  name: string;
  /** The threshold, as printed. */
  target: string;
  /** The measured value, as printed ('not measured' when its part was skipped). */
  measured: string;
  /** null: not measured. */
  pass: boolean | null;
}

export const LIMITS = {
  /** Gateway throughput on the 1 KB GET, as a share of the passthrough's and of the upstream's. */
  vsPassthrough: 0.9,
  vsDirect: 0.6,
  /** p99 added by the gateway at half the passthrough's saturation rate, ms. */
  addedP99Ms: 2,
  /** The 300 KB page: gateway throughput at least this share of the passthrough's. */
  bigPageVsPassthrough: 0.9,
  peakRssBytes: 120 * 1024 * 1024,
  heapGrowthPct: 5,
} as const;

export function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator <= 0) return undefined;
  return numerator / denominator;
}

export function growthPct(start: number, end: number): number {
  return start > 0 ? ((end - start) / start) * 100 : 0;
}

export function rpsOf(measurements: Measurement[], scenario: string, target: string): number | undefined {
  return measurements.find((m) => m.scenario === scenario && m.target === target)?.result.rps;
}

const pct = (r: number): string => `${(r * 100).toFixed(1)}%`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function check(name: string, target: string, value: number | undefined, show: (v: number) => string, ok: (v: number) => boolean): TargetCheck {
  if (value === undefined || !Number.isFinite(value)) return { name, target, measured: 'not measured', pass: null };
  return { name, target, measured: show(value), pass: ok(value) };
}

export function checkTargets(results: Pick<RunResults, 'measurements' | 'latency' | 'memory' | 'soak'>): TargetCheck[] {
  const m = results.measurements;
  const gw1 = rpsOf(m, 'get-1kb', 'gateway');
  const singleProcess = results.memory.filter((g) => g.workers === 1);
  const peak = singleProcess.length > 0 ? Math.max(...singleProcess.map((g) => g.peakRssBytes)) : undefined;
  return [
    check('1 KB GET throughput vs passthrough', `>= ${pct(LIMITS.vsPassthrough)}`, ratio(gw1, rpsOf(m, 'get-1kb', 'passthrough')), pct, (v) => v >= LIMITS.vsPassthrough),
    check('1 KB GET throughput vs direct', `>= ${pct(LIMITS.vsDirect)}`, ratio(gw1, rpsOf(m, 'get-1kb', 'direct')), pct, (v) => v >= LIMITS.vsDirect),
    check(
      'p99 added latency at half saturation',
      `< ${LIMITS.addedP99Ms} ms`,
      results.latency?.addedP99Ms,
      (v) => `${v.toFixed(2)} ms`,
      (v) => v < LIMITS.addedP99Ms,
    ),
    check(
      '300 KB page throughput vs passthrough',
      `>= ${pct(LIMITS.bigPageVsPassthrough)}`,
      ratio(rpsOf(m, 'get-300kb', 'gateway'), rpsOf(m, 'get-300kb', 'passthrough')),
      pct,
      (v) => v >= LIMITS.bigPageVsPassthrough,
    ),
    check('gateway peak RSS (WORKERS=1)', `< ${mb(LIMITS.peakRssBytes)}`, peak, mb, (v) => v < LIMITS.peakRssBytes),
    check('heap growth over the soak (outside the young generation)', `< ${LIMITS.heapGrowthPct}%`, results.soak?.heapGrowthPct, (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`, (v) => v < LIMITS.heapGrowthPct),
  ];
}
