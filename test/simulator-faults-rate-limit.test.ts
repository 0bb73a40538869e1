// Fault injection: 429 with Retry-After as delta seconds or as an HTTP-date.
import { afterEach, describe, expect, it } from 'vitest';
import { call, client, manualClock, startSimulator, type Running } from './simulator-helpers.js';

describe('fault injection: 429', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  it('answers 429 with Retry-After in seconds, without running the handler', async () => {
    s = await startSimulator({ faults: { 'POST /v1/asset/create': { rateLimitRate: 1, retryAfter: 120 } } });
    const c = await client(s.base);
    const res = await c.call('POST', '/v1/asset/create', { json: { serial_number: 'RL-1', asset_type_id: 1 } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('120');
    expect(res.body).toEqual({ message: 'Too Many Requests' });
    expect(s.sim.faultCounts()['POST /v1/asset/create']).toMatchObject({ real: 0, faulted: 1, rateLimited: 1 });
    expect((await c.call('GET', '/v1/asset?per_page=1')).headers.get('x-total-count')).toBe('300');
  });

  it("answers Retry-After as an HTTP-date retryAfterS ahead with 'date'", async () => {
    s = await startSimulator({ faults: { 'GET /v1/asset': { rateLimitRate: 1, retryAfter: 'date', retryAfterS: 5 } } });
    const sentAt = Date.now();
    const res = await call(s.base, 'GET', '/v1/asset');
    expect(res.status).toBe(429);
    const header = res.headers.get('retry-after') ?? '';
    expect(header).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const at = Date.parse(header);
    expect(at).toBeGreaterThanOrEqual(sentAt + 5000 - 1000);
    expect(at).toBeGreaterThan(Date.now() + 4000);
    expect(at).toBeLessThanOrEqual(Date.now() + 7000);
  });

  it('defaults retryAfterS to 1 and dates it from the injected clock, rounded up so it is never early', async () => {
    const clock = manualClock(Date.UTC(2025, 5, 2, 12, 0, 0, 400));
    s = await startSimulator({ now: clock.now, faults: { 'GET /v1/asset': { rateLimitRate: 1, retryAfter: 'date' } } });
    const res = await call(s.base, 'GET', '/v1/asset');
    expect(res.headers.get('retry-after')).toBe('Mon, 02 Jun 2025 12:00:02 GMT');
  });

  it('sends no Retry-After when retryAfter is not set', async () => {
    s = await startSimulator({ faults: { 'GET /v1/asset': { rateLimitRate: 1 } } });
    const res = await call(s.base, 'GET', '/v1/asset');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('takes precedence over an error status; each rate is its exact share when they add up to 1 or less', async () => {
    s = await startSimulator({ faultSeed: 3, faults: { 'GET /v1/asset': { rateLimitRate: 1, errorRate: 1 } } });
    for (let i = 0; i < 20; i++) expect((await call(s.base, 'GET', '/v1/asset')).status).toBe(429);
    s.sim.faults.set('GET /v1/asset', { rateLimitRate: 0.3, errorRate: 0.3 });
    s.sim.resetCalls();
    for (let i = 0; i < 1000; i++) await call(s.base, 'GET', '/v1/asset');
    const counts = s.sim.faultCounts()['GET /v1/asset']!;
    expect(counts.rateLimited).toBeGreaterThan(240);
    expect(counts.rateLimited).toBeLessThan(360);
    expect(counts.errors).toBeGreaterThan(240);
    expect(counts.errors).toBeLessThan(360);
    expect(counts.real + counts.faulted).toBe(1000);
  });
});
