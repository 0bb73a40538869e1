// The instance holding the cluster-wide refresh lock is SIGKILLed in the middle of a slow
// refresh: its lock expires after EVERCYCLE_REDIS_LOCK_TTL_MS, the other instance takes it
// over and completes the renewal; its calls wait for that, none fails.
// - Refresh tokens that do not rotate: the survivor presents the same refresh token again.
// - Refresh tokens that rotate: the dead instance may have spent it (Evercycle retires a
//   refresh token when it answers), so the survivor never presents it again and signs in
//   with the service account instead.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis/connection.js';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { freePort } from './helpers/ports.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis } from './helpers/redis.js';
import { startGateway, tempDir, type StartedGateway } from './helpers/stack.js';
import { count, getAll, postJson, REFRESH, SIGNIN, waitForHealth, waitUntil } from './helpers/tokens.js';

if (!HAVE_REDIS) console.warn(`cluster-kill-lock-holder: skipped: ${NO_REDIS_REASON}`);

const LOCK_TTL_MS = 1500;
const CALLS = 20;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Cluster {
  sim: Simulator;
  prefix: string;
  /** A `serve` child process: the one killed. */
  holder: CliProcess;
  holderUrl: string;
  /** An in-process gateway: the survivor. */
  other: StartedGateway;
  /** A Redis client of the test's own, to look at the keys. */
  probe: ReturnType<typeof createRedis>;
}

/** Redis, a simulator whose tokens go stale after 3 s (half of a 6 s lifetime), and two gateways. */
async function startCluster(options: { rotate: boolean; serviceAccount: boolean }): Promise<Cluster> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const sim = createSimulator({ tokenTtlS: 6, rotateRefreshTokens: options.rotate });
  const simUrl = await sim.listen();
  cleanups.push(() => sim.close());
  const prefix = `k-${randomUUID()}:`;
  const env = {
    EVERCYCLE_BASE_URL: simUrl,
    EVERCYCLE_REDIS_URL: redis.url,
    EVERCYCLE_REDIS_PREFIX: prefix,
    EVERCYCLE_REDIS_LOCK_TTL_MS: String(LOCK_TTL_MS),
    EVERCYCLE_REFRESH_AHEAD_S: '0',
    EVERCYCLE_RETRY_ATTEMPTS: '1',
    ...(options.serviceAccount && { EVERCYCLE_USERNAME: sim.demo.username, EVERCYCLE_PASSWORD: sim.demo.password }),
  };
  const dataDir = await tempDir();
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const holder = spawnServe({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1', EVERCYCLE_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  cleanups.push(async () => void (await holder.stop()));
  const holderUrl = await waitForListening(holder);
  const other = await startGateway(simUrl, { env });
  cleanups.push(() => other.close());
  const probe = createRedis({ url: redis.url, logger: pino({ level: 'silent' }), role: 'probe' });
  cleanups.push(async () => probe.disconnect());
  await new Promise((r) => (probe.status === 'ready' ? r(null) : probe.once('ready', r)));
  return { sim, prefix, holder, holderUrl, other, probe };
}

/**
 * Let the tokens go stale, start a refresh on the holder that Evercycle answers only after
 * 10 s, and SIGKILL the holder while it waits. Meanwhile CALLS calls on the other instance
 * wait for the lock. Their statuses and how long each took.
 */
async function killHolderMidRefresh(c: Cluster): Promise<{ statuses: number[]; slowestMs: number; doneAfterKillMs: number }> {
  const { sim, holder, holderUrl, other, probe, prefix } = c;
  await waitForHealth(holderUrl, (h) => !h.authenticated, 6000);
  const refreshesBefore = count(sim.calls(), REFRESH);
  sim.faults.set('POST /v1/auth/refresh', { latencyMs: 10_000 });
  void getAll(holderUrl).catch(() => {}); // starts the refresh on the holder
  await waitUntil(() => count(sim.calls(), REFRESH) === refreshesBefore + 1, 'the holder refresh to reach the simulator');
  expect(await probe.get(`${prefix}lock:tokens:renew`)).toMatch(/^\d+:/);

  // Calls on the other instance from now on: they wait for the lock, never call upstream meanwhile.
  const started = performance.now();
  const waiting = Array.from({ length: CALLS }, () => getAll(other.url).then((r) => ({ status: r.status, ms: performance.now() - started })));
  await new Promise((r) => setTimeout(r, 100));
  expect(count(sim.calls(), REFRESH)).toBe(refreshesBefore + 1);
  holder.child.kill('SIGKILL');
  const killedAt = performance.now();
  await holder.exited;
  sim.faults.clear('POST /v1/auth/refresh');

  const results = await Promise.all(waiting);
  const slowestMs = Math.round(Math.max(...results.map((r) => r.ms)));
  return { statuses: results.map((r) => r.status), slowestMs, doneAfterKillMs: Math.round(slowestMs - (killedAt - started)) };
}

describe.skipIf(!HAVE_REDIS)('lock holder killed mid-refresh', () => {
  it(`refresh tokens that do not rotate: the other instance refreshes after the lock TTL (${LOCK_TTL_MS} ms); no call fails`, async () => {
    const c = await startCluster({ rotate: false, serviceAccount: false });
    expect((await postJson(c.other.url, '/api/auth', c.sim.demo)).status).toBe(200);
    await waitForHealth(c.holderUrl, (h) => h.authenticated);

    const { statuses, slowestMs, doneAfterKillMs } = await killHolderMidRefresh(c);
    console.log(
      `cluster-kill-lock-holder (no rotation): ${CALLS} calls on the survivor: ${[...new Set(statuses)].join(',')}; slowest waited ${slowestMs} ms, ` +
        `done ${doneAfterKillMs} ms after the SIGKILL (lock TTL ${LOCK_TTL_MS} ms); refreshes upstream ${count(c.sim.calls(), REFRESH)}`,
    );
    expect(statuses).toEqual(Array(CALLS).fill(200));
    // The holder's refresh, then the survivor's: the same (non-rotating) refresh token twice.
    expect(count(c.sim.calls(), REFRESH)).toBe(2);
    // No call waited longer than the lock's whole life plus the refresh itself.
    expect(slowestMs).toBeLessThan(LOCK_TTL_MS + 1000);
    expect((await getAll(c.other.url)).status).toBe(200);
    expect(count(c.sim.calls(), REFRESH)).toBe(2);
  });

  it('refresh tokens that rotate: the spent refresh token is never presented again; the other instance signs in instead', async () => {
    const c = await startCluster({ rotate: true, serviceAccount: true });
    // Both instances start with the service account: one signs in, the other takes its tokens.
    await waitForHealth(c.holderUrl, (h) => h.authenticated);
    await waitForHealth(c.other.url, (h) => h.authenticated);
    expect(count(c.sim.calls(), SIGNIN)).toBe(1);
    // A first refresh shows that refresh tokens rotate (its answer carries a new one).
    await waitForHealth(c.holderUrl, (h) => !h.authenticated, 6000);
    expect((await getAll(c.holderUrl)).status).toBe(200);
    expect(count(c.sim.calls(), REFRESH)).toBe(1);
    expect(await c.probe.get(`${c.prefix}session:none:rotates`)).toBe('1');

    const { statuses, slowestMs, doneAfterKillMs } = await killHolderMidRefresh(c);
    console.log(
      `cluster-kill-lock-holder (rotation): ${CALLS} calls on the survivor: ${[...new Set(statuses)].join(',')}; slowest waited ${slowestMs} ms, ` +
        `done ${doneAfterKillMs} ms after the SIGKILL; refreshes upstream ${count(c.sim.calls(), REFRESH)}, sign-ins ${count(c.sim.calls(), SIGNIN)}`,
    );
    expect(statuses).toEqual(Array(CALLS).fill(200));
    // The killed holder's refresh was the last: the survivor signed in rather than present it again.
    expect(count(c.sim.calls(), REFRESH)).toBe(2);
    expect(count(c.sim.calls(), SIGNIN)).toBe(2);
    expect(c.other.logs.entries().some((l) => String(l.msg).includes('refresh tokens rotate, so it is not sent again'))).toBe(true);
    expect(slowestMs).toBeLessThan(LOCK_TTL_MS + 1000);
    // And the session goes on from the new sign-in: the next refresh uses its refresh token.
    await waitForHealth(c.other.url, (h) => !h.authenticated, 6000);
    expect((await getAll(c.other.url)).status).toBe(200);
    expect(count(c.sim.calls(), REFRESH)).toBe(3);
    expect(count(c.sim.calls(), SIGNIN)).toBe(2);
  }, 30_000);
});
