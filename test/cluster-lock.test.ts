// The cluster-wide renewal lock (src/tokens/cluster-lock.ts) against a real Redis: one
// holder at a time, released only by its owner, gone by itself after its TTL, and fencing
// values that only grow.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '../src/redis/connection.js';
import { ClusterLock } from '../src/tokens/cluster-lock.js';
import { RedisTokenStore } from '../src/tokens/redis-store.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';

if (!HAVE_REDIS) console.warn(`cluster-lock: skipped: ${NO_REDIS_REASON}`);

describe.skipIf(!HAVE_REDIS)('cluster lock', () => {
  let server: RedisServer;
  let a: Redis;
  let b: Redis;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    server = await startRedis();
    a = createRedis({ url: server.url, logger, role: 'test-a' });
    b = createRedis({ url: server.url, logger, role: 'test-b' });
    await Promise.all([a, b].map((r) => new Promise((res) => (r.status === 'ready' ? res(null) : r.once('ready', res)))));
  });
  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await server?.stop();
  });

  it('one holder at a time; only the owner releases it', async () => {
    const la = new ClusterLock(a, 'lock-test-1:');
    const lb = new ClusterLock(b, 'lock-test-1:');
    const first = await la.acquire('renew', 10_000);
    expect(first).not.toBeNull();
    expect(await lb.acquire('renew', 10_000)).toBeNull();
    // A forged lease with the right key but another value frees nothing.
    expect(await lb.release({ ...first!, token: `${first!.fence}:not-the-owner` })).toBe(false);
    expect(await lb.acquire('renew', 10_000)).toBeNull();
    expect(await la.release(first!)).toBe(true);
    const second = await lb.acquire('renew', 10_000);
    expect(second).not.toBeNull();
    // Releasing an old lease after the lock changed hands is a no-op.
    expect(await la.release(first!)).toBe(false);
    expect(await la.holds(second!)).toBe(true);
    await lb.release(second!);
  });

  it('expires by itself after its TTL (a dead holder blocks others for at most the TTL)', async () => {
    const la = new ClusterLock(a, 'lock-test-2:');
    const lb = new ClusterLock(b, 'lock-test-2:');
    const dead = await la.acquire('renew', 300);
    expect(dead).not.toBeNull();
    expect(await lb.acquire('renew', 300)).toBeNull();
    expect(await lb.remainingMs('renew')).toBeGreaterThan(0);
    const t0 = Date.now();
    let next = null;
    while (!next) {
      next = await lb.acquire('renew', 10_000);
      if (!next) await new Promise((r) => setTimeout(r, 10));
    }
    expect(Date.now() - t0).toBeLessThan(400);
    // The late holder cannot free the newcomer's lock.
    expect(await la.release(dead!)).toBe(false);
    expect(await lb.holds(next)).toBe(true);
    await lb.release(next);
  });

  it('its holder can extend it while it holds it, and only then', async () => {
    const la = new ClusterLock(a, 'lock-test-4:');
    const lb = new ClusterLock(b, 'lock-test-4:');
    const lease = await la.acquire('renew', 200);
    // Extended past its first TTL: still held, still refused to others.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(await la.extend(lease!, 200)).toBe(true);
    }
    expect(await lb.acquire('renew', 200)).toBeNull();
    // Once it ran out and changed hands, the old lease extends nothing.
    await new Promise((r) => setTimeout(r, 250));
    const next = await lb.acquire('renew', 10_000);
    expect(next).not.toBeNull();
    expect(await la.extend(lease!, 60_000)).toBe(false);
    expect(await lb.remainingMs('renew')).toBeLessThanOrEqual(10_000);
    await lb.release(next!);
  });

  it('fencing values grow; a write under an expired lease is refused', async () => {
    const la = new ClusterLock(a, 'lock-test-3:');
    const store = new RedisTokenStore({ redis: a, prefix: 'lock-test-3:', logger, upstream: 'http://up', instanceId: 'a', holdMs: 1000 });
    const tokens = { accessToken: 'A', idToken: 'I', refreshToken: 'R', expiresAt: 2, obtainedAt: 1 };
    const first = await la.acquire('renew', 100);
    expect(await store.saveFenced(tokens, first!)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 150));
    const second = await la.acquire('renew', 10_000);
    expect(second!.fence).toBeGreaterThan(first!.fence);
    expect(await store.saveFenced({ ...tokens, accessToken: 'stale' }, first!)).toBeNull();
    expect((await store.read())!.accessToken).toBe('A');
    expect(await store.saveFenced({ ...tokens, accessToken: 'B' }, second!)).toBeGreaterThan(0);
    expect((await store.read())!.accessToken).toBe('B');
  });

  it('the token record is sealed with the at-rest key, kept apart per key, stamped by Redis, and ignored for another upstream', async () => {
    const key = Buffer.alloc(32, 7);
    const store = new RedisTokenStore({ redis: a, prefix: 'lock-test-4:', logger, upstream: 'http://up', key, instanceId: 'a', holdMs: 1000 });
    const tokens = { accessToken: 'secret-access', idToken: 'secret-id', refreshToken: 'secret-refresh', expiresAt: 2, obtainedAt: 1 };
    await store.save(tokens);
    const raw = (await a.hget(store.key, 'record'))!;
    expect(store.key).toMatch(/^lock-test-4:session:[0-9a-f]{24}:tokens$/);
    expect(raw).not.toContain('secret-');
    expect(JSON.parse(raw)).toMatchObject({ version: 1, upstream: 'http://up', sealed: { alg: 'aes-256-gcm' } });
    const [seconds] = await a.time();
    expect(await store.load()).toEqual({ ...tokens, storedAt: expect.closeTo(Number(seconds) * 1000, -4) });
    const other = new RedisTokenStore({ redis: a, prefix: 'lock-test-4:', logger, upstream: 'http://elsewhere', key, instanceId: 'b', holdMs: 1000 });
    expect(await other.load()).toBeNull();
    // Another key, or none: a session of its own; it neither sees nor touches this one.
    for (const otherKey of [Buffer.alloc(32, 8), undefined]) {
      const apart = new RedisTokenStore({ redis: a, prefix: 'lock-test-4:', logger, upstream: 'http://up', key: otherKey, instanceId: 'c', holdMs: 1000 });
      expect(apart.key).not.toBe(store.key);
      expect(await apart.load()).toBeNull();
      await apart.save({ ...tokens, accessToken: 'apart' });
      expect((await store.load())!.accessToken).toBe('secret-access');
    }
    expect(await a.hget('lock-test-4:session:none:tokens', 'record')).toContain('"accessToken":"apart"');
  });
});
