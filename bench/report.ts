// The run's results as aligned text tables (pure).
import type { LoadResult } from './load.js';
import type { LatencyRun, RunResults } from './results.js';
import { ratio, rpsOf, type TargetCheck } from './targets.js';

export type Align = 'left' | 'right';

/** Columns padded to their widest cell; numbers are usually right-aligned. */
export function formatTable(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => ((align[i] ?? (i === 0 ? 'left' : 'right')) === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fmt = {
  rps: (v: number | undefined): string => (v === undefined ? '-' : Math.round(v).toLocaleString('en-US')),
  ms: (v: number | undefined): string => (v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1)),
  mb: (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / 1024 / 1024).toFixed(1)),
  pct: (r: number | undefined): string => (r === undefined ? '-' : `${(r * 100).toFixed(1)}%`),
  signedPct: (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`,
  us: (v: number | undefined): string => (v === undefined ? '-' : Math.round(v).toString()),
  int: (v: number): string => v.toLocaleString('en-US'),
  cores: (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(2)),
};

/** From this many cores used by other processes, a measurement is flagged as disturbed. */
export const BUSY_CORES = 0.15;

export function otherCoresOf(results: RunResults): number[] {
  return [
    ...results.measurements.map((m) => m.otherCores),
    results.latency?.otherCores.passthrough,
    results.latency?.otherCores.gateway,
    results.latency?.atHalfGatewaySaturation?.otherCores.passthrough,
    results.latency?.atHalfGatewaySaturation?.otherCores.gateway,
    ...results.refresh.map((r) => r.otherCores),
    results.workers?.w1?.otherCores,
    results.workers?.w2?.otherCores,
    results.soak?.otherCores,
  ].filter((c): c is number => c !== undefined);
}

/** Responses that were not 2xx, and requests that got no response at all. */
export function failures(r: LoadResult): string {
  return `${fmt.int(r.non2xx)} / ${fmt.int(r.errors + r.timeouts)}`;
}

export function verdict(pass: boolean | null): string {
  return pass === null ? 'n/a ' : pass ? 'PASS' : 'FAIL';
}

export function renderTargets(checks: TargetCheck[]): string {
  return formatTable(
    ['target', 'threshold', 'measured', 'result'],
    checks.map((c) => [c.name, c.target, c.measured, verdict(c.pass)]),
    ['left', 'left', 'right', 'left'],
  );
}

function latencyTable(lat: LatencyRun, title: string): string[] {
  return [
    `${title}: ${fmt.rps(lat.rate)} req/s, paced open loop, GET 1 KB`,
    formatTable(
      ['target', 'achieved req/s', 'p50', 'p99', 'p99.9', 'fail', 'others'],
      (['passthrough', 'gateway'] as const).map((t) => [
        t,
        fmt.rps(lat[t].rps),
        fmt.ms(lat[t].latencyMs.p50),
        fmt.ms(lat[t].latencyMs.p99),
        fmt.ms(lat[t].latencyMs.p999),
        failures(lat[t]),
        fmt.cores(lat.otherCores[t]),
      ]),
    ),
  ];
}

export function renderReport(results: RunResults): string {
  const out: string[] = [];
  const { machine, options } = results;
  out.push(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${fmt.mb(machine.totalMemoryBytes)} MB RAM, Node ${machine.node}, ${machine.os}`,
    `Load generator: ${machine.loadGenerator}; ${options.connections} connections, ${options.durationS} s per measurement after a ${options.warmupS} s warm-up` +
      `${machine.gitCommit ? `; gateway at ${machine.gitCommit.slice(0, 12)}${machine.gitDirty ? ' (uncommitted changes)' : ''}` : ''}`,
    ...results.notes.map((n) => `Note: ${n}`),
  );
  const disturbed = otherCoresOf(results).filter((c) => c >= BUSY_CORES).length;
  if (disturbed > 0) {
    out.push(`WARNING: other processes used ${BUSY_CORES} cores or more during ${disturbed} measurement(s) (column "others"): those figures are disturbed; run again on a quiet machine`);
  }

  const m = results.measurements.filter((x) => ['direct', 'passthrough', 'gateway'].includes(x.target));
  if (m.length > 0) {
    out.push(
      '',
      'Throughput and latency at saturation (latency in ms; CPU = CPU time of the server under test per response; fail = non-2xx / no response;',
      'others = cores used by other processes on the machine meanwhile)',
      formatTable(
        ['scenario', 'target', 'req/s', 'p50', 'p99', 'p99.9', 'fail', 'CPU µs/req', 'peak RSS MB', 'others'],
        m.map((x) => [
          x.scenario,
          x.target,
          fmt.rps(x.result.rps),
          fmt.ms(x.result.latencyMs.p50),
          fmt.ms(x.result.latencyMs.p99),
          fmt.ms(x.result.latencyMs.p999),
          failures(x.result),
          fmt.us(x.cpuUsPerRequest),
          fmt.mb(x.peakRssBytes),
          fmt.cores(x.otherCores),
        ]),
        ['left', 'left'],
      ),
    );
    const scenarios = [...new Set(m.map((x) => x.scenario))];
    out.push(
      '',
      'Gateway throughput ratios',
      formatTable(
        ['scenario', 'gateway/passthrough', 'gateway/direct'],
        scenarios.map((s) => [s, fmt.pct(ratio(rpsOf(m, s, 'gateway'), rpsOf(m, s, 'passthrough'))), fmt.pct(ratio(rpsOf(m, s, 'gateway'), rpsOf(m, s, 'direct')))]),
      ),
    );
  }

  const lat = results.latency;
  if (lat) {
    out.push('', ...latencyTable(lat, "Added latency at half of the passthrough's saturation"));
    out.push(`p99 added latency at half saturation: ${lat.addedP99Ms.toFixed(2)} ms`);
    const below = lat.atHalfGatewaySaturation;
    if (below) {
      out.push(
        `(${fmt.rps(lat.rate)} req/s is more than half of what the gateway sustains, so it queues: the same pair at half the gateway's own saturation follows, for information)`,
        '',
        ...latencyTable(below, "Added latency at half of the gateway's saturation"),
        `p99 added latency at half the gateway's saturation: ${below.addedP99Ms.toFixed(2)} ms`,
      );
    }
  }

  if (results.refresh.length > 0) {
    out.push(
      '',
      'Token refresh under load (GET 1 KB at saturation; upstream ExpiresIn short; counts seen by the upstream during the measurement)',
      formatTable(
        ['run', 'ExpiresIn', 'req/s', 'p99', 'p99.9', 'fail', 'refreshes', 'duplicates', 'sign-ins', 'expired used', 'others', 'each token once'],
        results.refresh.map((r) => [
          r.label,
          `${r.expiresInS} s`,
          fmt.rps(r.result.rps),
          fmt.ms(r.result.latencyMs.p99),
          fmt.ms(r.result.latencyMs.p999),
          failures(r.result),
          String(r.refreshes),
          String(r.duplicateRefreshes),
          String(r.signIns),
          String(r.expiredTokensPresented),
          fmt.cores(r.otherCores),
          verdict(r.pass),
        ]),
        ['left'],
      ),
      'duplicates: refresh calls for a token younger than 1/8 of its lifetime (a second refresh for the same expiry)',
    );
  }

  const w = results.workers;
  if (w) {
    out.push('', 'WORKERS (GET 1 KB at saturation, both with EVERCYCLE_REDIS_URL)');
    if (w.skipped) out.push(`skipped: ${w.skipped}`);
    else {
      const rows = [w.w1, w.w2].filter((x) => x !== undefined).map((x) => [
        x.target,
        fmt.rps(x.result.rps),
        fmt.ms(x.result.latencyMs.p50),
        fmt.ms(x.result.latencyMs.p99),
        failures(x.result),
        fmt.us(x.cpuUsPerRequest),
        fmt.mb(x.peakRssBytes),
        fmt.cores(x.otherCores),
      ]);
      out.push(formatTable(['gateway', 'req/s', 'p50', 'p99', 'fail', 'CPU µs/req', 'peak RSS MB (sum)', 'others'], rows), `scaling WORKERS=2 / WORKERS=1: ${w.scaling === undefined ? '-' : `${w.scaling.toFixed(2)}x`}`);
    }
  }

  const s = results.soak;
  if (s) {
    out.push(
      '',
      `Soak: ${s.durationS} s of GET 1 KB at saturation (${fmt.rps(s.result.rps)} req/s, p99 ${fmt.ms(s.result.latencyMs.p99)} ms, fail ${failures(s.result)}, others ${fmt.cores(s.otherCores)}); readings after ${options.idleS} s idle`,
      'Heap readings are taken right after a full garbage collection (forced through the inspector, on loopback): what is still referenced. The target is checked on the heap outside the young generation.',
      formatTable(
        ['', 'start', 'end', 'growth'],
        [
          ['RSS MB (/proc)', fmt.mb(s.start.rssBytes), fmt.mb(s.end.rssBytes), fmt.signedPct(s.rssGrowthPct)],
          ['heap used MB (/metrics)', fmt.mb(s.start.heapUsedBytes), fmt.mb(s.end.heapUsedBytes), fmt.signedPct(s.heapUsedGrowthPct)],
          ['  of it outside the young generation', fmt.mb(s.start.heapOldBytes), fmt.mb(s.end.heapOldBytes), fmt.signedPct(s.heapGrowthPct)],
        ],
      ),
    );
  }

  if (results.memory.length > 0) {
    out.push(
      '',
      'Gateway peak RSS (VmHWM) per gateway process started',
      formatTable(
        ['gateway', 'WORKERS', 'largest process MB', 'all processes MB'],
        results.memory.map((g) => [g.label, String(g.workers), fmt.mb(g.peakRssBytes), fmt.mb(g.peakRssTotalBytes)]),
      ),
    );
  }

  out.push('', 'Targets', renderTargets(results.targets));
  return out.join('\n');
}
