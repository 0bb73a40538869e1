// The shape of one run's results: printed by report.ts, written as JSON by main.ts.
import type { Options } from './args.js';
import type { LoadResult } from './load.js';
import type { TargetCheck } from './targets.js';
import type { RefreshEvent } from './tokens.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  node: string;
  os: string;
  loadGenerator: string;
  gitCommit?: string | undefined;
  gitDirty?: boolean | undefined;
}

export interface Measurement {
  scenario: string;
  /** direct, passthrough, gateway, or a labelled gateway variant. */
  target: string;
  result: LoadResult;
  /** Peak RSS of the target's process tree during the run (sampled), bytes; proxies only. */
  peakRssBytes?: number | undefined;
  /** CPU time of the target's process tree per response, µs. */
  cpuUsPerRequest?: number | undefined;
  /** CPU time of the fast upstream per response, µs. */
  upstreamCpuUsPerRequest?: number | undefined;
  /** Cores used by processes other than the benchmark's during the run (a shared machine). */
  otherCores?: number | undefined;
}

export interface LatencyRun {
  /** Requests per second of both paced runs: half the passthrough's saturation rate. */
  rate: number;
  passthrough: LoadResult;
  gateway: LoadResult;
  addedP99Ms: number;
  /** Cores used by other processes during each run. */
  otherCores: { passthrough: number; gateway: number };
  /** The same pair at half the gateway's own saturation rate, when that is well below `rate` (informative, no target). */
  atHalfGatewaySaturation?: LatencyRun | undefined;
}

export interface RefreshRun {
  label: string;
  workers: number;
  /** How the gateway renews: 'background' (default settings) or 'on demand' (EVERCYCLE_REFRESH_AHEAD_S=0). */
  mode: 'background' | 'on demand';
  expiresInS: number;
  result: LoadResult;
  refreshes: number;
  duplicateRefreshes: number;
  signIns: number;
  expiredTokensPresented: number;
  unknownTokensPresented: number;
  refreshLog: RefreshEvent[];
  otherCores: number;
  /** Each token refreshed once at most (no duplicate), at least one refresh, no sign-in, no expired token used, no failed call. */
  pass: boolean;
}

export interface WorkersRun {
  skipped?: string | undefined;
  w1?: Measurement | undefined;
  w2?: Measurement | undefined;
  /** WORKERS=2 throughput / WORKERS=1 throughput. */
  scaling?: number | undefined;
}

export interface SoakRun {
  durationS: number;
  result: LoadResult;
  start: IdleReading;
  end: IdleReading;
  rssGrowthPct: number;
  /** Growth of nodejs_heap_size_used_bytes. */
  heapUsedGrowthPct: number;
  /** Growth of the heap outside the young generation: the figure the target is checked on. */
  heapGrowthPct: number;
  peakRssBytes: number;
  otherCores: number;
}

/** A gateway's memory after an idle pause. */
export interface IdleReading {
  rssBytes: number;
  /** nodejs_heap_size_used_bytes. */
  heapUsedBytes: number;
  /** The same less the young generation (see proc.ts parseHeap). */
  heapOldBytes: number;
}

export interface GatewayMemory {
  label: string;
  workers: number;
  /** VmHWM of the largest process of the gateway's tree, bytes. */
  peakRssBytes: number;
  /** Sum of VmHWM over the tree (primary + workers), bytes. */
  peakRssTotalBytes: number;
}

export interface RunResults {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: Options;
  notes: string[];
  measurements: Measurement[];
  latency?: LatencyRun | undefined;
  refresh: RefreshRun[];
  workers?: WorkersRun | undefined;
  soak?: SoakRun | undefined;
  memory: GatewayMemory[];
  targets: TargetCheck[];
}
