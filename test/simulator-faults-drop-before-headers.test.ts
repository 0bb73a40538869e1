// Fault injection: connections destroyed before any byte is written. The handler never
// runs, so a dropped create created nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { exchange } from './simulator-faults-helpers.js';
import { authHeaders, client, startSimulator, type Running } from './simulator-helpers.js';

describe('fault injection: drops before the headers', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  it('fetch sees a socket error and the create did not happen', async () => {
    s = await startSimulator();
    const c = await client(s.base);
    s.sim.faults.set('POST /v1/asset/create', { dropRate: 1 });
    const err = await fetch(`${s.base}/v1/asset/create`, {
      method: 'POST',
      headers: { ...authHeaders(c.tokens), 'content-type': 'application/json' },
      body: JSON.stringify({ serial_number: 'DROP-1', asset_type_id: 1 }),
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(err).toBeInstanceOf(TypeError);
    expect(err?.cause?.code).toMatch(/^UND_ERR_SOCKET$|^ECONNRESET$/);
    expect((await c.call('GET', '/v1/asset?per_page=1')).headers.get('x-total-count')).toBe('300');
    expect(s.sim.calls()['POST /v1/asset/create']).toBe(1);
    expect(s.sim.faultCounts()['POST /v1/asset/create']).toMatchObject({ real: 0, faulted: 1, dropped: 1, droppedAfterHeaders: 0 });
  });

  it('node:http sees the connection close with no status line', async () => {
    s = await startSimulator({ faults: { 'GET /v1/asset/:id': { dropRate: 1, dropWhen: 'before-headers' } } });
    const c = await client(s.base);
    const res = await exchange(s.base, 'GET', '/v1/asset/1', { headers: authHeaders(c.tokens) });
    expect(res.status).toBeUndefined();
    expect(res.error?.message).toMatch(/socket hang up|ECONNRESET/);
  });

  it('applies latency first, then drops', async () => {
    s = await startSimulator({ faults: { 'GET /v1/programs': { dropRate: 1, latencyMs: 250 } } });
    const res = await exchange(s.base, 'GET', '/v1/programs');
    expect(res.status).toBeUndefined();
    expect(res.error).toBeDefined();
    expect(res.totalMs).toBeGreaterThanOrEqual(245);
  });

  it('drops only the share asked for; the rest answer normally', async () => {
    s = await startSimulator({ faultSeed: 11 });
    const c = await client(s.base);
    s.sim.faults.set('GET /v1/tracking', { dropRate: 0.25 });
    let dropped = 0;
    for (let i = 0; i < 200; i++) {
      const res = await exchange(s.base, 'GET', '/v1/tracking', { headers: authHeaders(c.tokens) });
      if (res.status === undefined) dropped++;
      else expect(res.status).toBe(200);
    }
    expect(dropped).toBeGreaterThan(25);
    expect(dropped).toBeLessThan(75);
    expect(s.sim.faultCounts()['GET /v1/tracking']).toMatchObject({ real: 200 - dropped, dropped });
  });

  it('takes precedence over 429 and errors', async () => {
    s = await startSimulator({ faults: { 'GET /v1/programs': { dropRate: 1, rateLimitRate: 1, errorRate: 1 } } });
    const res = await exchange(s.base, 'GET', '/v1/programs');
    expect(res.status).toBeUndefined();
  });
});
