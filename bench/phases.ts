// The parts of a run, each on its own gateway process(es): the three load scenarios
// against direct/passthrough/gateway, the added latency at half saturation, the token
// refresh under load, WORKERS=1 vs 2, and the memory soak.
import { setTimeout as sleep } from 'node:timers/promises';
import { busyNote, measure, observed, progress, summary, waitQuiet, type Context } from './context.js';
import { collectGarbage } from './gc.js';
import { ensureRunning, getText, heapOf, startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
import { ask } from './ipc.js';
import { openLoad, runLoad, type LoadResult } from './load.js';
import { freePort } from './ports.js';
import { procMemory, RssSampler, treePeak } from './proc.js';
import { redisAvailable, startRedis } from './redis.js';
import type { GatewayMemory, IdleReading, LatencyRun, Measurement, RefreshRun, SoakRun, WorkersRun } from './results.js';
import { jobFor, LOAD_SCENARIOS, scenarioSpec, type LoadScenario, type Target } from './scenarios.js';
import { growthPct } from './targets.js';
import type { TokenStats } from './tokens.js';

/** Tokens of the ordinary measurements outlive any run. */
const LONG_EXPIRES_IN_S = 3600;

export interface Servers {
  passthrough: { url: string; pid: number };
  gateway: RunningGateway;
}

/** A gateway started for one part; its peak memory is recorded when it stops. */
export async function withGateway<T>(ctx: Context, memory: GatewayMemory[], options: Omit<GatewayOptions, 'root' | 'upstream' | 'scratch'>, use: (gw: RunningGateway) => Promise<T>): Promise<T> {
  const gw = await startGateway(ctx.children, { ...options, root: ctx.root, upstream: ctx.upstream.url, scratch: ctx.scratch });
  progress(ctx, `gateway ${options.label} listening at ${gw.url} (WORKERS=${options.workers ?? 1}, pid ${gw.pid})`);
  try {
    return await use(gw);
  } finally {
    const peak = await treePeak(gw.pid);
    memory.push({ label: options.label, workers: options.workers ?? 1, peakRssBytes: peak.maxProcess, peakRssTotalBytes: peak.total });
    await ctx.children.stop(gw.managed, 15_000);
  }
}

/** One GET through the gateway answers with a success envelope before anything is measured. */
export async function sanityCheck(ctx: Context, servers: Servers): Promise<void> {
  const spec = scenarioSpec('get-1kb');
  const gw = await getText(servers.gateway.url + spec.gatewayPath);
  if (gw.status !== 200 || !gw.body.startsWith('{"status":"success"')) throw new Error(`the gateway answered ${gw.status} to GET ${spec.gatewayPath}: ${gw.body.slice(0, 300)}`);
}

export async function loadScenarios(ctx: Context, servers: Servers, selected: LoadScenario[]): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const spec of LOAD_SCENARIOS.filter((s) => selected.includes(s.name))) {
    for (const target of ['direct', 'passthrough', 'gateway'] as const) {
      const url = target === 'direct' ? ctx.upstream.url : target === 'passthrough' ? servers.passthrough.url : servers.gateway.url;
      const pid = target === 'direct' ? ctx.upstream.managed.pid : target === 'passthrough' ? servers.passthrough.pid : servers.gateway.pid;
      const job = jobFor(spec, target, { url, token: ctx.upstream.token, createBody: ctx.createBody, connections: ctx.options.connections }, ctx.options.durationS);
      out.push(await measure(ctx, spec.name, target, job, pid, () => ensureRunning(servers.gateway)));
    }
  }
  return out;
}

/**
 * p99 of passthrough and gateway at a fixed rate of half the passthrough's saturation
 * throughput (measured first when the load scenarios did not run), paced open loop. When
 * that rate is more than half what the gateway itself sustains, the pair is run again at
 * half the gateway's own saturation: the first pair then shows its queueing, the second
 * what it adds to a call when it is not overloaded.
 */
export async function addedLatency(ctx: Context, servers: Servers, measurements: Measurement[]): Promise<LatencyRun> {
  const spec = scenarioSpec('get-1kb');
  let saturation = measurements.find((m) => m.scenario === 'get-1kb' && m.target === 'passthrough');
  if (!saturation) {
    const job = jobFor(spec, 'passthrough', { url: servers.passthrough.url, token: ctx.upstream.token, createBody: ctx.createBody, connections: ctx.options.connections }, ctx.options.durationS);
    saturation = await measure(ctx, 'get-1kb', 'passthrough', job, servers.passthrough.pid);
    measurements.push(saturation);
  }
  const run = await pacedPair(ctx, servers, Math.max(1, Math.round(saturation.result.rps / 2)));
  const gatewayRps = measurements.find((m) => m.scenario === 'get-1kb' && m.target === 'gateway')?.result.rps;
  if (gatewayRps !== undefined && gatewayRps / 2 < run.rate * 0.9) {
    run.atHalfGatewaySaturation = await pacedPair(ctx, servers, Math.max(1, Math.round(gatewayRps / 2)));
  }
  return run;
}

async function pacedPair(ctx: Context, servers: Servers, rate: number): Promise<LatencyRun> {
  const spec = scenarioSpec('get-1kb');
  const paced = async (target: Target, url: string): Promise<{ result: LoadResult; otherCores: number }> => {
    const job = jobFor(spec, target, { url, token: ctx.upstream.token, createBody: ctx.createBody, connections: ctx.options.connections }, ctx.options.durationS, rate);
    const session = await openLoad(ctx.children, ctx.generator, ctx.scratch);
    try {
      if (ctx.options.warmupS > 0) await session.run({ ...job, durationS: ctx.options.warmupS });
      const { value: result, otherCores } = await observed(ctx, () => session.run(job));
      await ensureRunning(servers.gateway);
      progress(ctx, `latency at ${rate} req/s / ${target}: ${summary(result)}${busyNote(otherCores)}`);
      return { result, otherCores };
    } finally {
      await session.close();
    }
  };
  const passthrough = await paced('passthrough', servers.passthrough.url);
  const gateway = await paced('gateway', servers.gateway.url);
  return {
    rate,
    passthrough: passthrough.result,
    gateway: gateway.result,
    addedP99Ms: gateway.result.latencyMs.p99 - passthrough.result.latencyMs.p99,
    otherCores: { passthrough: passthrough.otherCores, gateway: gateway.otherCores },
  };
}

interface UpstreamStats {
  requests: number;
  creates: number;
  createBodyMismatches: number;
  tokens: TokenStats;
}

export function upstreamStats(ctx: Context): Promise<UpstreamStats> {
  return ask<UpstreamStats>(ctx.upstream.managed.child, 'stats');
}

/**
 * GET 1 KB at saturation on a gateway whose tokens live `refreshExpiresInS` seconds, so it
 * renews several times during the measurement. 'background': default settings (renewal
 * ahead of time, requests never wait); 'on demand': EVERCYCLE_REFRESH_AHEAD_S=0, so every
 * request in flight when the token stops counting as valid waits for the one refresh.
 */
export async function refreshUnderLoad(ctx: Context, memory: GatewayMemory[], workers: number, mode: RefreshRun['mode'], redisUrl?: string): Promise<RefreshRun> {
  const expiresInS = ctx.options.refreshExpiresInS;
  const label = `refresh-${mode === 'background' ? 'bg' : 'demand'}-w${workers}`;
  await ask(ctx.upstream.managed.child, 'expires-in', { seconds: expiresInS });
  try {
    return await withGateway(ctx, memory, { label, workers, redisUrl, env: mode === 'on demand' ? { EVERCYCLE_REFRESH_AHEAD_S: '0' } : {} }, async (gw) => {
      const job = jobFor(scenarioSpec('get-1kb'), 'gateway', { url: gw.url, token: ctx.upstream.token, createBody: ctx.createBody, connections: ctx.options.connections }, ctx.options.durationS);
      const session = await openLoad(ctx.children, ctx.generator, ctx.scratch);
      let result: LoadResult, otherCores: number;
      try {
        if (ctx.options.warmupS > 0) await session.run({ ...job, durationS: ctx.options.warmupS });
        await waitQuiet(ctx);
        await ask(ctx.upstream.managed.child, 'reset');
        ({ value: result, otherCores } = await observed(ctx, () => session.run(job)));
        await ensureRunning(gw);
      } finally {
        await session.close();
      }
      const { tokens } = await upstreamStats(ctx);
      const failed = result.non2xx + result.errors + result.timeouts;
      const pass = tokens.refreshes >= 1 && tokens.duplicateRefreshes === 0 && tokens.signIns === 0 && tokens.expiredPresented === 0 && tokens.unknownPresented === 0 && failed === 0;
      progress(ctx, `${label}: ${summary(result)}; upstream saw ${tokens.refreshes} refreshes (${tokens.duplicateRefreshes} duplicate), ${tokens.signIns} sign-ins, ${tokens.expiredPresented} expired tokens${busyNote(otherCores)}`);
      return {
        label: `${mode}, WORKERS=${workers}`,
        workers,
        mode,
        expiresInS,
        result,
        refreshes: tokens.refreshes,
        duplicateRefreshes: tokens.duplicateRefreshes,
        signIns: tokens.signIns,
        expiredTokensPresented: tokens.expiredPresented,
        unknownTokensPresented: tokens.unknownPresented,
        refreshLog: tokens.refreshLog,
        otherCores,
        pass,
      };
    });
  } finally {
    await ask(ctx.upstream.managed.child, 'expires-in', { seconds: LONG_EXPIRES_IN_S });
  }
}

export async function workersScaling(ctx: Context, memory: GatewayMemory[], refreshRuns: RefreshRun[]): Promise<WorkersRun> {
  const redis = redisAvailable();
  if (!redis.ok) {
    progress(ctx, `WORKERS: skipped: ${redis.reason}`);
    return { skipped: redis.reason };
  }
  const server = await startRedis(ctx.children);
  progress(ctx, `redis-server at ${server.url} (pid ${server.managed.pid})`);
  try {
    const run = (workers: number): Promise<Measurement> =>
      withGateway(ctx, memory, { label: `workers-${workers}`, workers, redisUrl: server.url }, async (gw) => {
        const job = jobFor(scenarioSpec('get-1kb'), 'gateway', { url: gw.url, token: ctx.upstream.token, createBody: ctx.createBody, connections: ctx.options.connections }, ctx.options.durationS);
        return measure(ctx, 'get-1kb', `gateway WORKERS=${workers}`, job, gw.pid, () => ensureRunning(gw));
      });
    const w1 = await run(1);
    const w2 = await run(2);
    refreshRuns.push(await refreshUnderLoad(ctx, memory, 2, 'background', server.url));
    refreshRuns.push(await refreshUnderLoad(ctx, memory, 2, 'on demand', server.url));
    return { w1, w2, scaling: w1.result.rps > 0 ? w2.result.rps / w1.result.rps : undefined };
  } finally {
    await ctx.children.stop(server.managed);
  }
}

/** Steady GET 1 KB load on a fresh gateway; RSS and heap after an idle pause before and after. */
export async function soak(ctx: Context, memory: GatewayMemory[]): Promise<SoakRun> {
  const { soakS, idleS, warmupS } = ctx.options;
  return withGateway(ctx, memory, { label: 'soak', inspectorPort: await freePort() }, async (gw) => {
    const job = jobFor(scenarioSpec('get-1kb'), 'gateway', { url: gw.url, token: ctx.upstream.token, createBody: ctx.createBody, connections: ctx.options.connections }, soakS);
    // Long enough for the JIT, the connection pools and the caches to reach their steady size.
    const soakWarmupS = Math.max(warmupS, Math.min(10, Math.ceil(soakS / 10)));
    const session = await openLoad(ctx.children, ctx.generator, ctx.scratch);
    let start: IdleReading, result: LoadResult, peakRssBytes: number, otherCores: number;
    try {
      await session.run({ ...job, durationS: soakWarmupS });
      start = await idleReading(gw, idleS);
      progress(ctx, `soak: start after ${idleS} s idle: ${reading(start)}; ${soakS} s of load`);
      const sampler = new RssSampler(gw.pid, 1000);
      await sampler.start();
      ({ value: result, otherCores } = await observed(ctx, () => session.run(job)));
      peakRssBytes = await sampler.stop();
      await ensureRunning(gw);
    } finally {
      await session.close();
    }
    const end = await idleReading(gw, idleS);
    progress(ctx, `soak: ${summary(result)}${busyNote(otherCores)}; end after ${idleS} s idle: ${reading(end)}`);
    return {
      durationS: soakS,
      result,
      start,
      end,
      rssGrowthPct: growthPct(start.rssBytes, end.rssBytes),
      heapUsedGrowthPct: growthPct(start.heapUsedBytes, end.heapUsedBytes),
      heapGrowthPct: growthPct(start.heapOldBytes, end.heapOldBytes),
      peakRssBytes,
      otherCores,
    };
  });
}

/**
 * After `idleS` without load: the smallest of three heap readings half a second apart (a
 * reading itself allocates), each right after a full GC when the gateway has the
 * inspector on, and RSS.
 */
async function idleReading(gw: RunningGateway, idleS: number): Promise<IdleReading> {
  await sleep(idleS * 1000);
  const heaps = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(500);
    if (gw.inspectorPort) await collectGarbage(gw.inspectorPort);
    heaps.push(await heapOf(gw.url));
  }
  const rss = (await procMemory(gw.pid))?.rss;
  if (rss === undefined) throw new Error(`cannot read /proc/${gw.pid}/status`);
  return { rssBytes: rss, heapUsedBytes: Math.min(...heaps.map((h) => h.used)), heapOldBytes: Math.min(...heaps.map((h) => h.oldGeneration)) };
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const reading = (r: IdleReading): string => `RSS ${mb(r.rssBytes)} MB, heap used ${mb(r.heapUsedBytes)} MB (${mb(r.heapOldBytes)} MB outside the young generation)`;
