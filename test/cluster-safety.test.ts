// The shared session's safety edges, against real Redis and two in-process gateways: a
// sign-out is never undone (by an instance that was cut off from Redis, or by one that was
// waiting for the renewal lock), a renewal under way when Redis loses its state stores its
// tokens and nobody presents the rotated refresh token again, and shutdown does not wait
// out a lock held elsewhere.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { rawRequest } from './helpers/raw-http.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';
import { count, getAll, health, postJson, REFRESH, SIGNIN, waitForHealth } from './helpers/tokens.js';

if (!HAVE_REDIS) console.warn(`cluster-safety: skipped: ${NO_REDIS_REASON}`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP relay to Redis that can be cut (every connection dropped, new ones refused) and restored, for one instance only. */
async function relay(port: number): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let listenPort = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(port, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await open();
  const cut = async () => {
    const closing = new Promise((r) => server!.close(r));
    for (const s of sockets) s.destroy();
    await closing;
  };
  cleanups.push(async () => {
    if (server?.listening) await cut();
  });
  return { url: `redis://127.0.0.1:${listenPort}`, cut, restore: open };
}

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 8000): Promise<void> {
  const t0 = Date.now();
  while (!(await condition())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!HAVE_REDIS)('shared session safety', () => {
  let redis: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  async function pair(options: { rotate?: boolean; env?: Record<string, string>; bRedisUrl?: string } = {}) {
    const clock = manualClock();
    const sim = createSimulator({ now: clock.now, rotateRefreshTokens: options.rotate ?? false });
    const simUrl = await sim.listen();
    cleanups.push(() => sim.close());
    const prefix = `s-${randomUUID()}:`;
    const env = { EVERCYCLE_REDIS_URL: redis.url, EVERCYCLE_REDIS_PREFIX: prefix, EVERCYCLE_REFRESH_AHEAD_S: '0', ...options.env };
    const a = await startGateway(simUrl, { now: clock.now, env });
    cleanups.push(() => a.close());
    const b = await startGateway(simUrl, { now: clock.now, env: { ...env, ...(options.bRedisUrl && { EVERCYCLE_REDIS_URL: options.bRedisUrl }) } });
    cleanups.push(() => b.close());
    expect((await postJson(a.url, '/api/auth', sim.demo)).status).toBe(200);
    await waitForHealth(b.url, (h) => h.authenticated);
    return { clock, sim, a, b, tokensKey: `${prefix}session:none:tokens`, lockKey: `${prefix}lock:tokens:renew` };
  }

  it('an instance cut off from Redis during a sign-out does not put the session back when it reconnects', async () => {
    const link = await relay(redis.port);
    const { a, b, tokensKey } = await pair({ bRedisUrl: link.url });
    await link.cut();
    await until(async () => (await health(b.url)).redis === 'down', 'b sees Redis down');
    expect((await rawRequest(a.url, 'DELETE', '/api/auth')).status).toBe(200);
    expect(await admin.exists(tokensKey)).toBe(0);
    await link.restore();
    await until(async () => (await health(b.url)).redis === 'up', 'b reconnected');
    await until(() => /signed out while Redis was unreachable from here; dropped here too/.test(b.logs.text), 'b drops the session');
    expect(await admin.exists(tokensKey)).toBe(0);
    expect(b.logs.text).not.toMatch(/stored the ones held here again/);
    for (const gw of [a, b]) {
      expect((await health(gw.url)).authenticated).toBe(false);
      expect((await getAll(gw.url)).status).toBe(401);
    }
  });

  it('an instance cut off during a sign-out, whose token expired meanwhile, does not renew the dropped session when it is back', async () => {
    const link = await relay(redis.port);
    const { clock, sim, a, b, tokensKey } = await pair({ bRedisUrl: link.url });
    await link.cut();
    await until(async () => (await health(b.url)).redis === 'down', 'b sees Redis down');
    expect((await rawRequest(a.url, 'DELETE', '/api/auth')).status).toBe(200);
    clock.advanceS(3600);
    await link.restore();
    await until(async () => (await health(b.url)).redis === 'up', 'b reconnected');
    expect((await getAll(b.url)).status).toBe(401);
    expect(count(sim.calls(), REFRESH)).toBe(0);
    expect(await admin.exists(tokensKey)).toBe(0);
  });

  it('instances whose clocks disagree still agree on the newest session (Redis stamps it): a new sign-in is never reverted', async () => {
    const clock = manualClock();
    const sim = createSimulator({ now: clock.now });
    const simUrl = await sim.listen();
    cleanups.push(() => sim.close());
    const env = { EVERCYCLE_REDIS_URL: redis.url, EVERCYCLE_REDIS_PREFIX: `skew-${randomUUID()}:`, EVERCYCLE_REFRESH_AHEAD_S: '0' };
    // A's clock runs 5 s ahead of B's.
    const a = await startGateway(simUrl, { now: () => clock.now() + 5000, env });
    cleanups.push(() => a.close());
    const b = await startGateway(simUrl, { now: clock.now, env });
    cleanups.push(() => b.close());
    const orgs = async (gw: StartedGateway) => new Set(((await rawRequest(gw.url, 'GET', '/api/get-all?per_page=50')).json.data as { organization_id: number }[]).map((r) => r.organization_id));
    expect((await postJson(a.url, '/api/auth', sim.demo)).status).toBe(200);
    await waitForHealth(b.url, (h) => h.authenticated);
    // One second later (by the clocks), B is signed in as another account: both use it at once.
    clock.advanceS(1);
    expect((await postJson(b.url, '/api/auth', { username: 'it-admin@northwind.example', password: 'secret' })).status).toBe(200);
    await until(async () => (await orgs(a)).size === 1, 'a uses the new session');
    expect(await orgs(b)).toEqual(new Set([2]));
    // After expiry, whoever renews renews the new session.
    clock.advanceS(3600);
    for (const gw of [a, b, a]) expect(await orgs(gw)).toEqual(new Set([2]));
    expect(count(sim.calls(), REFRESH)).toBe(1);
  });

  it('a sign-out made while another instance waits for the renewal lock is not undone by that renewal', async () => {
    const { clock, sim, a, b, tokensKey, lockKey } = await pair();
    clock.advanceS(3600);
    // A holder that died: the lock stays taken for 600 ms.
    await admin.set(lockKey, '999999:dead', 'PX', 600);
    const waiting = getAll(a.url); // waits for the lock
    await new Promise((r) => setTimeout(r, 100));
    const signOut = rawRequest(b.url, 'DELETE', '/api/auth'); // waits for the lock too
    const [call, out] = await Promise.all([waiting, signOut]);
    expect(out.status).toBe(200);
    // Whichever took the lock first, the sign-out stands at the end: nothing stored, no instance signed in.
    expect(await admin.exists(tokensKey)).toBe(0);
    for (const gw of [a, b]) expect((await health(gw.url)).authenticated).toBe(false);
    // The waiting call either ran before the sign-out (200, one refresh) or saw it (401, none).
    expect([call.status, count(sim.calls(), REFRESH)]).toSatisfy(
      ([status, refreshes]: [number, number]) => (status === 200 && refreshes === 1) || (status === 401 && refreshes === 0),
    );
  });

  it('Redis loses its state during a refresh (rotating refresh tokens): the refresh lands and is stored, nobody presents the spent token', async () => {
    const { clock, sim, a, b, tokensKey } = await pair({ rotate: true, env: { EVERCYCLE_REDIS_LOCK_TTL_MS: '3000' } });
    clock.advanceS(3600);
    sim.faults.set('POST /v1/auth/refresh', { latencyMs: 1500 });
    const first = getAll(a.url);
    await until(() => count(sim.calls(), REFRESH) === 1, 'the refresh to start');
    await redis.stop();
    await redis.start(); // empty: nothing persisted
    await until(async () => (await health(b.url)).redis === 'up', 'b reconnected');
    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => getAll((i % 2 ? b : a).url)));
    expect((await first).status).toBe(200);
    sim.faults.clear('POST /v1/auth/refresh');
    expect(others.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(count(sim.calls(), REFRESH)).toBe(1);
    expect(count(sim.calls(), SIGNIN)).toBe(1); // the first sign-in only
    expect(await admin.exists(tokensKey)).toBe(1);
    // An instance put the held tokens back (holding renewals back), and the refresh under way landed into that hold.
    expect(`${a.logs.text}${b.logs.text}`).toMatch(/Redis had lost the shared tokens; stored the ones held here again/);
    expect(a.logs.text).toMatch(/stored the renewed tokens in Redis, which had lost them during the renewal/);
  });

  it('shutdown ends a wait for a renewal lock held elsewhere: the call gets 503 and the instance stops at once', async () => {
    const { clock, b, lockKey } = await pair();
    clock.advanceS(3600);
    await admin.set(lockKey, '999999:elsewhere', 'PX', 20_000);
    const waiting = getAll(b.url);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await b.gateway.close();
    const closeMs = Date.now() - t0;
    const res = await waiting;
    expect(res.status).toBe(503);
    expect(res.json.message).toMatch(/shutting down/);
    expect(closeMs).toBeLessThan(3000);
    await admin.del(lockKey);
  });
});
