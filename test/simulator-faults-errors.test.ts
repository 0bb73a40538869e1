// Fault injection: a share of requests answered 500/502/503/504 instead of the real answer,
// decided by a seeded PRNG (reproducible), without running the handler.
import { afterEach, describe, expect, it } from 'vitest';
import { call, client, startSimulator, type Running } from './simulator-helpers.js';

async function statuses(seed: number, n: number): Promise<number[]> {
  const s = await startSimulator({ faultSeed: seed });
  try {
    const c = await client(s.base);
    s.sim.faults.set('GET /v1/asset/:id', { errorRate: 0.1 });
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await c.call('GET', '/v1/asset/1')).status);
    expect(s.sim.calls()['GET /v1/asset/:id']).toBe(n);
    const errors = out.filter((status) => status !== 200).length;
    expect(s.sim.faultCounts()['GET /v1/asset/:id']).toEqual({
      real: n - errors,
      faulted: errors,
      dropped: 0,
      rateLimited: 0,
      errors,
      droppedAfterHeaders: 0,
      lockedOut: 0,
    });
    return out;
  } finally {
    await s.sim.close();
  }
}

describe('fault injection: error statuses', () => {
  let s: Running;
  afterEach(() => s?.sim.close());

  it('answers about errorRate of the requests with 503 by default, reproducibly for one seed', async () => {
    const first = await statuses(1234, 1000);
    const errors = first.filter((status) => status !== 200);
    expect(errors.length).toBeGreaterThanOrEqual(60);
    expect(errors.length).toBeLessThanOrEqual(140);
    expect(new Set(errors)).toEqual(new Set([503]));
    expect(await statuses(1234, 1000)).toEqual(first);
    expect(await statuses(4321, 1000)).not.toEqual(first);
  });

  it('picks uniformly among errorStatuses and answers JSON with a message', async () => {
    s = await startSimulator({ faultSeed: 99, faults: { 'GET /v1/programs': { errorRate: 1, errorStatuses: [500, 502, 503, 504] } } });
    const c = await client(s.base);
    const seen = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const res = await c.call('GET', '/v1/programs');
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(typeof res.body.message).toBe('string');
    }
    expect([...seen.keys()].sort()).toEqual([500, 502, 503, 504]);
    for (const count of seen.values()) expect(count).toBeGreaterThan(25);
  });

  it('does not run the handler: an errored create creates nothing', async () => {
    s = await startSimulator();
    const c = await client(s.base);
    const total = async () => Number((await c.call('GET', '/v1/asset?per_page=1')).headers.get('x-total-count'));
    const before = await total();
    s.sim.faults.set('POST /v1/asset/create', { errorRate: 1, errorStatuses: [502] });
    const res = await c.call('POST', '/v1/asset/create', { json: { serial_number: 'ERR-1', asset_type_id: 1 } });
    expect(res.status).toBe(502);
    expect(res.body).toEqual({ message: 'Bad Gateway' });
    expect(await total()).toBe(before);
    expect(s.sim.calls()['POST /v1/asset/create']).toBe(1);
    expect(s.sim.faultCounts()['POST /v1/asset/create']).toMatchObject({ real: 0, faulted: 1, errors: 1 });
  });

  it('answers before the token check (like a load balancer in front of the API)', async () => {
    s = await startSimulator({ faults: { 'GET /v1/asset': { errorRate: 1 } } });
    expect((await call(s.base, 'GET', '/v1/asset')).status).toBe(503);
  });

  it('sends Retry-After on an injected 503 only when retryAfter is set, never on other statuses', async () => {
    s = await startSimulator({ faults: { 'GET /v1/asset': { errorRate: 1, retryAfter: 7 }, 'GET /v1/programs': { errorRate: 1 } } });
    const with503 = await call(s.base, 'GET', '/v1/asset');
    expect(with503.status).toBe(503);
    expect(with503.headers.get('retry-after')).toBe('7');
    const without = await call(s.base, 'GET', '/v1/programs');
    expect(without.status).toBe(503);
    expect(without.headers.get('retry-after')).toBeNull();
    s.sim.faults.set('GET /v1/asset', { errorRate: 1, retryAfter: 7, errorStatuses: [500] });
    const with500 = await call(s.base, 'GET', '/v1/asset');
    expect(with500.status).toBe(500);
    expect(with500.headers.get('retry-after')).toBeNull();
  });

  it('rate 0 never faults, and requests without faults are counted as real', async () => {
    s = await startSimulator({ faults: { '*': { errorRate: 0 } } });
    const c = await client(s.base);
    for (let i = 0; i < 50; i++) expect((await c.call('GET', '/v1/tracking')).status).toBe(200);
    expect(s.sim.faultCounts()['GET /v1/tracking']).toMatchObject({ real: 50, faulted: 0 });
  });
});
