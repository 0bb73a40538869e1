// Redis stops while two instances serve load: calls with a valid token keep succeeding,
// /ready stays 200 while a usable token is held (and says redis "down"; 503 once none is),
// nothing crashes; when Redis is back (empty: nothing persisted) the instances reconnect by
// themselves, store the held tokens again, and renewals are coordinated again.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { rawRequest } from './helpers/raw-http.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';
import { count, getAll, health, postJson, REFRESH, waitForHealth } from './helpers/tokens.js';

if (!HAVE_REDIS) console.warn(`cluster-redis-outage: skipped: ${NO_REDIS_REASON}`);

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 8000): Promise<number> {
  const t0 = Date.now();
  while (!(await condition())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

describe.skipIf(!HAVE_REDIS)('Redis outage under load', () => {
  let redis: RedisServer;
  let sim: Simulator;
  let a: StartedGateway;
  let b: StartedGateway;
  const clock = manualClock();
  let prefix: string;
  /** The shared token record, read with a client of the test's own. */
  async function storedTokens(): Promise<string | null> {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      return await client.hget(`${prefix}session:none:tokens`, 'record');
    } finally {
      client.disconnect();
    }
  }
  beforeAll(async () => {
    redis = await startRedis();
    sim = createSimulator({ now: clock.now, rotateRefreshTokens: true });
    const simUrl = await sim.listen();
    prefix = `o-${randomUUID()}:`;
    // Lock TTL 1 s: after Redis comes back empty, renewals are held back for one TTL.
    const env = { EVERCYCLE_REDIS_URL: redis.url, EVERCYCLE_REDIS_PREFIX: prefix, EVERCYCLE_REFRESH_AHEAD_S: '0', EVERCYCLE_REDIS_LOCK_TTL_MS: '1000' };
    a = await startGateway(simUrl, { now: clock.now, env });
    b = await startGateway(simUrl, { now: clock.now, env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sim?.close();
    await redis?.stop();
  });

  it('valid-token calls keep 200 through the outage, /ready stays 200 and says Redis is down, and the instances recover by themselves', async () => {
    expect((await postJson(a.url, '/api/auth', sim.demo)).status).toBe(200);
    await waitForHealth(b.url, (h) => h.authenticated);

    // Load on both instances for the whole test.
    const statuses: number[] = [];
    let running = true;
    const load = Promise.all(
      [a, b].map(async (gw) => {
        while (running) statuses.push((await getAll(gw.url)).status);
      }),
    );

    await new Promise((r) => setTimeout(r, 200));
    await redis.stop();
    await until(async () => (await health(a.url)).redis === 'down' && (await health(b.url)).redis === 'down', '/health redis down');
    // Both instances hold a valid token: still ready (taking both out would be a total outage).
    for (const gw of [a, b]) {
      const ready = await rawRequest(gw.url, 'GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({ status: 'ok', redis: 'down', message: expect.stringMatching(/Redis is unreachable/) });
    }
    // The metric and the status page say it too.
    expect((await rawRequest(a.url, 'GET', '/metrics')).text).toMatch(/^evercycle_gateway_redis_up 0$/m);
    expect((await rawRequest(a.url, 'GET', '/')).text).toMatch(/id="redis" class="bad">unreachable/);
    const duringOutage = statuses.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(statuses.length).toBeGreaterThan(duringOutage); // still serving
    expect(a.logs.text).toMatch(/Redis unreachable/);

    await redis.start();
    // Redis came back empty: an instance stores the tokens it holds again.
    const recoveredMs = await until(
      async () => (await health(a.url)).redis === 'up' && (await health(b.url)).redis === 'up' && (await storedTokens()) !== null,
      'both connected and the tokens stored again after Redis is back',
    );
    console.log(`cluster-redis-outage: ${statuses.length} calls during the test; both up and the tokens stored again ${recoveredMs} ms after Redis restarted`);
    expect((await rawRequest(a.url, 'GET', '/ready')).json).toEqual({ status: 'ok', message: 'ready', circuit: 'closed' });
    expect((await health(a.url)).redis).toBe('up');
    expect((await rawRequest(a.url, 'GET', '/metrics')).text).toMatch(/^evercycle_gateway_redis_up 1$/m);
    expect((await rawRequest(a.url, 'GET', '/')).text).toMatch(/id="redis" class="ok">reachable/);
    expect(a.logs.text).toMatch(/connected to Redis/);
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await load;
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    // Coordination works again (Redis came back empty; the held tokens were stored again):
    // expiry, a burst over both instances, one refresh.
    const before = count(sim.calls(), REFRESH);
    clock.advanceS(3600);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => getAll((i % 2 ? b : a).url)));
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(count(sim.calls(), REFRESH) - before).toBe(1);
  });

  it('while Redis is down, an expired token is not renewed by guesswork: 503 and /ready 503, never a crash; renewed once Redis is back', async () => {
    await redis.stop();
    await until(async () => (await health(a.url)).redis === 'down', '/health redis down');
    expect((await rawRequest(a.url, 'GET', '/ready')).status).toBe(200);
    const before = count(sim.calls(), REFRESH);
    clock.advanceS(3600 * 2);
    // No usable token any more, and none can be had: out of the load balancer.
    const ready = await rawRequest(a.url, 'GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ status: 'error', redis: 'down', message: expect.stringMatching(/^Redis is unreachable and no usable Evercycle token/) });
    const res = await getAll(a.url);
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ status: 'error', message: expect.stringMatching(/Redis is unreachable/) });
    expect(count(sim.calls(), REFRESH)).toBe(before);
    await redis.start();
    await until(async () => (await rawRequest(a.url, 'GET', '/ready')).status === 200 && (await rawRequest(b.url, 'GET', '/ready')).status === 200, '/ready 200');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => getAll((i % 2 ? b : a).url)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(count(sim.calls(), REFRESH) - before).toBe(1);
  });
});

describe.skipIf(!HAVE_REDIS)('Redis that refuses the credentials', () => {
  it('is logged as a configuration error naming EVERCYCLE_REDIS_URL, without the password; /ready 503 until a token is held', async () => {
    const redis = await startRedis();
    const sim = createSimulator();
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    let gw: StartedGateway | undefined;
    try {
      await admin.connect();
      await admin.config('SET', 'requirepass', 'the-right-redis-pw');
      const wrong = 'wrong-redis-pw-5150';
      gw = await startGateway(await sim.listen(), { env: { EVERCYCLE_REDIS_URL: `redis://:${wrong}@127.0.0.1:${redis.port}/0` } });
      await until(async () => /Redis refused the connection/.test(gw!.logs.text), 'the refusal logged');
      expect(gw.logs.text).toMatch(/check the password, user and database number in EVERCYCLE_REDIS_URL/);
      expect(gw.logs.text).not.toContain(wrong);
      expect((await health(gw.url)).redis).toBe('down');
      const ready = await rawRequest(gw.url, 'GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.text).not.toContain(wrong);
    } finally {
      await gw?.close();
      admin.disconnect();
      await sim.close();
      await redis.stop();
    }
  });
});
