// Several gateway instances share one Evercycle session through Redis (EVERCYCLE_REDIS_URL):
// one refresh (or sign-in) at the upstream however many calls on however many instances
// find the token expired, and every instance uses the newest tokens.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { rawRequest } from './helpers/raw-http.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';
import { count, getAll, health, LIST, postJson, REFRESH, SIGNIN, waitForHealth } from './helpers/tokens.js';

if (!HAVE_REDIS) console.warn(`cluster-tokens: skipped: ${NO_REDIS_REASON}`);

const N = 200;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!HAVE_REDIS)('shared session across gateway instances', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function cluster(options: { rotate?: boolean; env?: Record<string, string> } = {}) {
    const clock = manualClock();
    const sim = createSimulator({ now: clock.now, rotateRefreshTokens: options.rotate ?? false });
    const simUrl = await sim.listen();
    cleanups.push(() => sim.close());
    const env = { EVERCYCLE_REDIS_URL: redis.url, EVERCYCLE_REDIS_PREFIX: `t-${randomUUID()}:`, EVERCYCLE_REFRESH_AHEAD_S: '0', ...options.env };
    const gateways: StartedGateway[] = [];
    for (let i = 0; i < 2; i++) {
      const gw = await startGateway(simUrl, { now: clock.now, env });
      cleanups.push(() => gw.close());
      gateways.push(gw);
    }
    return { clock, sim, a: gateways[0]!, b: gateways[1]! };
  }

  async function signInOn(gw: StartedGateway, demo: { username: string; password: string }) {
    const res = await postJson(gw.url, '/api/auth', demo);
    expect(res.status).toBe(200);
  }

  async function waitForCondition(condition: () => boolean): Promise<void> {
    for (let i = 0; !condition(); i++) {
      if (i > 300) throw new Error('condition never held');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** N calls, alternating between the two instances, all at once. */
  const burst = (a: StartedGateway, b: StartedGateway) => Promise.all(Array.from({ length: N }, (_, i) => getAll((i % 2 ? b : a).url)));

  it('a sign-in on one instance is used by the other at once, from Redis', async () => {
    const { sim, a, b } = await cluster();
    await signInOn(a, sim.demo);
    await waitForHealth(b.url, (h) => h.authenticated);
    expect((await getAll(b.url)).status).toBe(200);
    expect(count(sim.calls(), SIGNIN)).toBe(1);
    const h = await health(b.url);
    expect(h.redis).toBe('up');
    expect((await rawRequest(b.url, 'GET', '/ready')).status).toBe(200);
  });

  for (const rotate of [false, true]) {
    it(`${N} concurrent calls over both instances after expiry${rotate ? ' (rotating refresh tokens)' : ''}: exactly one refresh, all succeed`, async () => {
      const { clock, sim, a, b } = await cluster({ rotate });
      await signInOn(a, sim.demo);
      await waitForHealth(b.url, (h) => h.authenticated);
      clock.advanceS(3600);
      const t0 = performance.now();
      const results = await burst(a, b);
      const elapsedMs = Math.round(performance.now() - t0);
      expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
      const calls = sim.calls();
      expect(count(calls, REFRESH)).toBe(1);
      expect(count(calls, SIGNIN)).toBe(1);
      // No call was refused upstream and replayed: both instances used the refreshed token.
      expect(count(calls, LIST)).toBe(N);
      console.log(`cluster-tokens: ${N} calls over 2 instances after expiry (rotate=${rotate}): ${count(calls, REFRESH)} refresh, ${elapsedMs} ms`);
      // And again: the refresh token both now hold is the newest one (with rotation, the old one is dead).
      clock.advanceS(3600);
      const again = await burst(a, b);
      expect(again.map((r) => r.status)).toEqual(Array(N).fill(200));
      expect(count(sim.calls(), REFRESH)).toBe(2);
      expect(count(sim.calls(), SIGNIN)).toBe(1);
    });
  }

  it('service account on both instances: one sign-in at start, one after the session is lost', async () => {
    const { clock, sim, a, b } = await cluster({ env: { EVERCYCLE_USERNAME: 'user@example.com', EVERCYCLE_PASSWORD: 'secret' } });
    await waitForHealth(a.url, (h) => h.authenticated);
    await waitForHealth(b.url, (h) => h.authenticated);
    expect(count(sim.calls(), SIGNIN)).toBe(1);
    // Refresh tokens revoked too: the refresh is refused, and one instance signs in again.
    sim.revokeAllTokens();
    clock.advanceS(3600);
    const results = await burst(a, b);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(count(sim.calls(), REFRESH)).toBeLessThanOrEqual(1);
    expect(count(sim.calls(), SIGNIN)).toBeLessThanOrEqual(2);
  });

  it('a sign-in on one instance during a refresh on the other waits for it, and its session wins on both', async () => {
    const { clock, sim, a, b } = await cluster();
    await signInOn(a, sim.demo); // sees every organisation
    await waitForHealth(b.url, (h) => h.authenticated);
    clock.advanceS(3600);
    sim.faults.set('POST /v1/auth/refresh', { latencyMs: 500 });
    const refreshing = getAll(a.url);
    await waitForCondition(() => count(sim.calls(), REFRESH) === 1);
    // Meanwhile someone signs the gateway in as another account, through the other instance.
    const started = performance.now();
    await signInOn(b, { username: 'it-admin@northwind.example', password: 'secret' }); // sees organisation 2 only
    const signInMs = performance.now() - started;
    expect((await refreshing).status).toBe(200);
    sim.faults.clear('POST /v1/auth/refresh');
    // The sign-in waited for the refresh to finish (it holds the cluster lock), then stored
    // its session last: the old account's refreshed tokens cannot come back over it.
    expect(signInMs).toBeGreaterThan(300);
    for (const gw of [a, b]) {
      const res = await rawRequest(gw.url, 'GET', '/api/get-all?per_page=50');
      expect(res.status).toBe(200);
      const rows = (res.json.data.data ?? res.json.data) as { organization_id: number }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.organization_id))).toEqual(new Set([2]));
    }
  });

  it('a refresh slower than the lock TTL keeps the lock (its holder extends it): one refresh, stored, nothing presented twice', async () => {
    // TTL 400 ms, refresh 1.2 s: without the extension the lock would run out twice over and
    // the other instance would refresh too.
    const { clock, sim, a, b } = await cluster({ rotate: true, env: { EVERCYCLE_REDIS_LOCK_TTL_MS: '400' } });
    await signInOn(a, sim.demo);
    await waitForHealth(b.url, (h) => h.authenticated);
    clock.advanceS(3600);
    sim.faults.set('POST /v1/auth/refresh', { latencyMs: 1200 });
    const first = getAll(a.url);
    await waitForCondition(() => count(sim.calls(), REFRESH) === 1);
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => getAll((i % 2 ? b : a).url)));
    expect((await first).status).toBe(200);
    sim.faults.clear('POST /v1/auth/refresh');
    expect(others.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(count(sim.calls(), REFRESH)).toBe(1);
    expect(count(sim.calls(), SIGNIN)).toBe(1);
    expect(a.logs.text).not.toMatch(/lost the token renewal lock/);
  });

  it('instances with another EVERCYCLE_SECRET_KEY (or none) keep a session apart: they cannot read, replace or downgrade the others\' tokens', async () => {
    const clock = manualClock();
    const sim = createSimulator({ now: clock.now });
    const simUrl = await sim.listen();
    cleanups.push(() => sim.close());
    const prefix = `k-${randomUUID()}:`;
    const base = { EVERCYCLE_REDIS_URL: redis.url, EVERCYCLE_REDIS_PREFIX: prefix, EVERCYCLE_REFRESH_AHEAD_S: '0' };
    const start = async (key?: string) => {
      const gw = await startGateway(simUrl, { now: clock.now, env: { ...base, ...(key && { EVERCYCLE_SECRET_KEY: key }) } });
      cleanups.push(() => gw.close());
      return gw;
    };
    const keyed = await start('11'.repeat(32));
    const sameKey = await start('11'.repeat(32));
    const otherKey = await start('22'.repeat(32));
    const keyless = await start();
    expect(keyless.logs.text).toMatch(/EVERCYCLE_REDIS_URL without EVERCYCLE_SECRET_KEY: the Evercycle tokens are stored in Redis unencrypted/);
    expect(keyed.logs.text).not.toMatch(/without EVERCYCLE_SECRET_KEY/);
    // Every instance started after another key was seen says so (the first ones at their next check).
    for (const gw of [otherKey, keyless]) {
      expect(gw.logs.text).toMatch(/gateway instances with another EVERCYCLE_SECRET_KEY \(or none\) share this Redis: they keep an Evercycle session of their own/);
      expect((await health(gw.url)).instances_with_other_key).toBeGreaterThan(0);
    }

    // Signing in where the key is right is shared by the instances with that key only.
    await signInOn(keyed, sim.demo);
    await waitForHealth(sameKey.url, (h) => h.authenticated);
    for (const gw of [otherKey, keyless]) {
      expect((await health(gw.url)).authenticated).toBe(false);
      expect((await getAll(gw.url)).status).toBe(401);
    }
    // The keyless one signs in (as another account): it cannot replace the keyed session, nor store it in plaintext.
    await signInOn(keyless, { username: 'it-admin@northwind.example', password: 'secret' });
    const rows = async (gw: StartedGateway) => new Set(((await rawRequest(gw.url, 'GET', '/api/get-all?per_page=50')).json.data as { organization_id: number }[]).map((r) => r.organization_id));
    expect(await rows(keyless)).toEqual(new Set([2]));
    expect((await rows(sameKey)).size).toBeGreaterThan(1);
    // Only the keyless session is in plaintext, under its own key; /ready stays 200 everywhere.
    const probe = new (await import('ioredis')).Redis(redis.url, { lazyConnect: true });
    await probe.connect();
    cleanups.push(async () => probe.disconnect());
    const records = await probe.keys(`${prefix}session:*:tokens`);
    expect(records).toHaveLength(2);
    for (const key of records) {
      const record = (await probe.hget(key, 'record'))!;
      expect(record.includes('"accessToken"')).toBe(key.includes(':none:'));
    }
    for (const gw of [keyed, sameKey, otherKey, keyless]) expect((await rawRequest(gw.url, 'GET', '/ready')).status).toBe(200);
  });

  it('signing out on one instance signs the other out too', async () => {
    const { sim, a, b } = await cluster();
    await signInOn(a, sim.demo);
    await waitForHealth(b.url, (h) => h.authenticated);
    expect((await rawRequest(b.url, 'DELETE', '/api/auth')).status).toBe(200);
    await waitForHealth(a.url, (h) => !h.authenticated);
    expect((await getAll(a.url)).status).toBe(401);
  });
});
