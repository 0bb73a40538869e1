// The instance holding the cluster-wide refresh lock is SIGKILLed in the middle of a slow
// refresh: its lock expires after EVERCYCLE_REDIS_LOCK_TTL_MS, the other instance takes it
// over and completes the refresh; its calls wait for that, none fails.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../src/redis/connection.js';
import { createSimulator } from '../src/simulator/index.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { freePort } from './helpers/ports.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis } from './helpers/redis.js';
import { startGateway, tempDir } from './helpers/stack.js';
import { count, getAll, postJson, REFRESH, waitForHealth, waitUntil } from './helpers/tokens.js';

if (!HAVE_REDIS) console.warn(`cluster-kill-lock-holder: skipped: ${NO_REDIS_REASON}`);

const LOCK_TTL_MS = 1500;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!HAVE_REDIS)('lock holder killed mid-refresh', () => {
  it(`the other instance completes the refresh after the lock TTL (${LOCK_TTL_MS} ms); no call fails`, async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    // Tokens valid for 3 s (half of a 6 s lifetime), so they go stale during the test.
    const sim = createSimulator({ tokenTtlS: 6 });
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
    };
    const dataDir = await tempDir();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const holder: CliProcess = spawnServe({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1', EVERCYCLE_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    cleanups.push(async () => void (await holder.stop()));
    const holderUrl = await waitForListening(holder);
    const other = await startGateway(simUrl, { env });
    cleanups.push(() => other.close());

    expect((await postJson(other.url, '/api/auth', sim.demo)).status).toBe(200);
    await waitForHealth(holderUrl, (h) => h.authenticated);
    // The refresh answer takes 10 s: the holder is killed while it waits for it.
    sim.faults.set('POST /v1/auth/refresh', { latencyMs: 10_000 });
    await waitForHealth(holderUrl, (h) => !h.authenticated, 6000);

    void getAll(holderUrl).catch(() => {}); // starts the refresh on the holder
    await waitUntil(() => count(sim.calls(), REFRESH) === 1, 'the holder refresh to reach the simulator');
    const probe = createRedis({ url: redis.url, logger: pino({ level: 'silent' }), role: 'probe' });
    cleanups.push(async () => probe.disconnect());
    await new Promise((r) => (probe.status === 'ready' ? r(null) : probe.once('ready', r)));
    expect(await probe.get(`${prefix}lock:tokens:renew`)).toMatch(/^\d+:/);

    // Calls on the other instance from now on: they wait for the lock, never call upstream meanwhile.
    const started = performance.now();
    const waiting = Array.from({ length: 20 }, () => getAll(other.url).then((r) => ({ status: r.status, ms: performance.now() - started })));
    await new Promise((r) => setTimeout(r, 100));
    expect(count(sim.calls(), REFRESH)).toBe(1);
    holder.child.kill('SIGKILL');
    const killedAt = performance.now();
    await holder.exited;
    sim.faults.clear('POST /v1/auth/refresh');

    const results = await Promise.all(waiting);
    const doneAfterKillMs = Math.round(Math.max(...results.map((r) => r.ms)) - (killedAt - started));
    console.log(
      `cluster-kill-lock-holder: ${results.length} calls on the survivor all ${[...new Set(results.map((r) => r.status))].join(',')}; ` +
        `slowest waited ${Math.round(Math.max(...results.map((r) => r.ms)))} ms, done ${doneAfterKillMs} ms after the SIGKILL (lock TTL ${LOCK_TTL_MS} ms); refreshes upstream ${count(sim.calls(), REFRESH)}`,
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(count(sim.calls(), REFRESH)).toBe(2);
    // No call waited longer than the lock's whole life plus the refresh itself.
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(LOCK_TTL_MS + 1000);
    expect((await getAll(other.url)).status).toBe(200);
    expect(count(sim.calls(), REFRESH)).toBe(2);
  });
});
