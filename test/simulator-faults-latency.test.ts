// Fault injection: added latency, fixed and with jitter, applied after the handler ran.
import { afterEach, describe, expect, it } from 'vitest';
import { exchange, timed } from './simulator-faults-helpers.js';
import { call, client, startSimulator, type Running } from './simulator-helpers.js';

describe('fault injection: latency', () => {
  let s: Running;
  afterEach(() => s.sim.close());

  it('adds a fixed delay before answering, and only where it is set', async () => {
    s = await startSimulator({ faults: { 'GET /v1/programs': { latencyMs: 300 } } });
    const c = await client(s.base);
    const slow = await timed(() => c.call('GET', '/v1/programs'));
    expect(slow.value.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(295);
    expect(slow.ms).toBeLessThan(1000);
    const fast = await timed(() => c.call('GET', '/v1/tracking'));
    expect(fast.value.status).toBe(200);
    expect(fast.ms).toBeLessThan(250);
  });

  it('delays the headers, not only the body', async () => {
    s = await startSimulator({ faults: { '*': { latencyMs: 200 } } });
    const c = await client(s.base);
    const res = await exchange(s.base, 'GET', '/v1/asset/1', { headers: { authorization: c.tokens.IdToken, 'access-token': c.tokens.AccessToken } });
    expect(res.status).toBe(200);
    expect(res.headersAfterMs).toBeGreaterThanOrEqual(195);
    expect(JSON.parse(res.body).id).toBe(1);
  });

  it('adds a random 0..jitterMs on top, within bounds, and not always the same', async () => {
    s = await startSimulator({ faultSeed: 7, faults: { 'GET /v1/programs': { latencyMs: 50, jitterMs: 200 } } });
    const c = await client(s.base);
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { value, ms } = await timed(() => c.call('GET', '/v1/programs'));
      expect(value.status).toBe(200);
      times.push(ms);
    }
    for (const ms of times) {
      expect(ms).toBeGreaterThanOrEqual(48);
      expect(ms).toBeLessThan(50 + 200 + 150);
    }
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(40);
  });

  it('delays faulted answers too, and never the control surface', async () => {
    s = await startSimulator({ control: true, faults: { '*': { latencyMs: 600, rateLimitRate: 1 } } });
    const limited = await timed(() => call(s.base, 'GET', '/v1/programs'));
    expect(limited.value.status).toBe(429);
    expect(limited.ms).toBeGreaterThanOrEqual(595);
    const control = await timed(() => call(s.base, 'GET', '/_simulator/faults'));
    expect(control.value.status).toBe(200);
    expect(control.ms).toBeLessThan(400);
  });

  it('runs the handler before the delay: a client that gives up still created the asset', async () => {
    s = await startSimulator();
    const c = await client(s.base);
    const before = Number((await c.call('GET', '/v1/asset?per_page=1')).headers.get('x-total-count'));
    s.sim.faults.set('POST /v1/asset/create', { latencyMs: 5000 });
    const res = await exchange(s.base, 'POST', '/v1/asset/create', {
      headers: { authorization: c.tokens.IdToken, 'access-token': c.tokens.AccessToken },
      json: { serial_number: 'LATE-1', asset_type_id: 1 },
      signal: AbortSignal.timeout(200),
    });
    expect(res.status).toBeUndefined();
    expect(res.error).toBeDefined();
    const after = Number((await c.call('GET', '/v1/asset?per_page=1')).headers.get('x-total-count'));
    expect(after).toBe(before + 1);
    expect(s.sim.faultCounts()['POST /v1/asset/create']).toMatchObject({ real: 1, faulted: 0 });
  });
});
