// What every part of a run shares: the options, the children, the upstream, the load
// generator, and the one way to take a measurement.
import type { Options } from './args.js';
import type { Children, Managed } from './children.js';
import { openLoad, type Generator, type LoadJob, type LoadResult } from './load.js';
import { OtherCpu, RssSampler, treeCpuSeconds } from './proc.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Measurement } from './results.js';
import { BUSY_CORES, fmt, failures } from './report.js';

export interface Upstream {
  url: string;
  managed: Managed;
  token: { idToken: string; accessToken: string };
}

export interface Context {
  options: Options;
  children: Children;
  generator: Generator;
  upstream: Upstream;
  root: string;
  scratch: string;
  ticksPerSecond: number;
  startedAt: number;
  createBody: string;
}

export function progress(ctx: Pick<Context, 'startedAt'>, message: string): void {
  const s = Math.round((Date.now() - ctx.startedAt) / 1000);
  process.stderr.write(`[${String(s).padStart(4)} s] ${message}\n`);
}

export function summary(r: LoadResult): string {
  return `${fmt.rps(r.rps)} req/s, p50 ${fmt.ms(r.latencyMs.p50)} ms, p99 ${fmt.ms(r.latencyMs.p99)} ms, fail ${failures(r)}`;
}

/** Other processes may use this much of a core before a measurement waits for them. */
const QUIET_CORES = BUSY_CORES;
const QUIET_WAIT_S = 30;

/**
 * On a shared machine: wait (up to 30 s) until other processes use less than 0.15 of a
 * core, so a test suite running meanwhile does not end up in the figures.
 */
export async function waitQuiet(ctx: Context): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_S * 1000;
  let said = false;
  for (;;) {
    const other = new OtherCpu(ctx.ticksPerSecond);
    await other.start();
    await sleep(1000);
    const cores = await other.read();
    if (cores < QUIET_CORES) return;
    if (Date.now() > deadline) {
      progress(ctx, `other processes still use ${cores.toFixed(2)} cores: measuring anyway`);
      return;
    }
    if (!said) progress(ctx, `other processes use ${cores.toFixed(2)} cores: waiting up to ${QUIET_WAIT_S} s for them`);
    said = true;
  }
}

/** Run `fn` after waitQuiet, and say how many cores other processes used meanwhile. */
export async function observed<T>(ctx: Context, fn: () => Promise<T>): Promise<{ value: T; otherCores: number }> {
  await waitQuiet(ctx);
  const other = new OtherCpu(ctx.ticksPerSecond);
  await other.start();
  const value = await fn();
  return { value, otherCores: await other.read() };
}

/**
 * Warm up (discarded), then one measured run of `job` against the server with pid
 * `serverPid`, sampling its RSS and reading its CPU time (and the upstream's) around it.
 */
export async function measure(ctx: Context, scenario: string, target: string, job: LoadJob, serverPid: number, check?: () => Promise<void>, warmupS = ctx.options.warmupS): Promise<Measurement> {
  const session = await openLoad(ctx.children, ctx.generator, ctx.scratch);
  let result: LoadResult;
  let cpu0: number, cpu1: number, up0: number, up1: number, peakRssBytes: number, otherCores: number;
  try {
    if (warmupS > 0) await session.run({ ...job, durationS: warmupS });
    await waitQuiet(ctx);
    const other = new OtherCpu(ctx.ticksPerSecond);
    await other.start();
    const sampler = new RssSampler(serverPid);
    await sampler.start();
    cpu0 = await treeCpuSeconds(serverPid, ctx.ticksPerSecond);
    up0 = await treeCpuSeconds(ctx.upstream.managed.pid, ctx.ticksPerSecond);
    result = await session.run(job);
    cpu1 = await treeCpuSeconds(serverPid, ctx.ticksPerSecond);
    up1 = await treeCpuSeconds(ctx.upstream.managed.pid, ctx.ticksPerSecond);
    peakRssBytes = await sampler.stop();
    otherCores = await other.read();
    await check?.();
  } finally {
    await session.close();
  }
  const perRequest = (seconds: number): number | undefined => (result.requests > 0 ? (seconds * 1e6) / result.requests : undefined);
  progress(ctx, `${scenario} / ${target}: ${summary(result)}${busyNote(otherCores)}`);
  return {
    scenario,
    target,
    result,
    peakRssBytes,
    cpuUsPerRequest: perRequest(cpu1 - cpu0),
    upstreamCpuUsPerRequest: serverPid === ctx.upstream.managed.pid ? undefined : perRequest(up1 - up0),
    otherCores,
  };
}

export function busyNote(otherCores: number): string {
  return otherCores >= QUIET_CORES ? ` (other processes used ${otherCores.toFixed(2)} cores meanwhile)` : '';
}
