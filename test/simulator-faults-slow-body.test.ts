// Fault injection: the real answer streamed slowly (headers at once, the body in chunks
// spread over slowBodyMs), intact; a client that leaves mid-body leaves no timer behind.
import { afterEach, describe, expect, it } from 'vitest';
import { activeTimeouts, eventually, exchange, sleep } from './simulator-faults-helpers.js';
import { authHeaders, client, startSimulator, type Running } from './simulator-helpers.js';

describe('fault injection: slow body', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  it('sends the headers at once and the body over about slowBodyMs, content intact', async () => {
    s = await startSimulator();
    const c = await client(s.base);
    const normal = await exchange(s.base, 'GET', '/v1/asset?per_page=5', { headers: authHeaders(c.tokens) });
    expect(normal.status).toBe(200);
    s.sim.faults.set('GET /v1/asset', { slowBodyMs: 600, slowBodyChunkBytes: 256 });
    const slow = await exchange(s.base, 'GET', '/v1/asset?per_page=5', { headers: authHeaders(c.tokens) });
    expect(slow.error).toBeUndefined();
    expect(slow.status).toBe(200);
    expect(slow.headersAfterMs).toBeLessThan(200);
    expect(slow.totalMs).toBeGreaterThanOrEqual(590);
    expect(slow.totalMs).toBeLessThan(1200);
    expect(slow.body).toBe(normal.body);
    expect(slow.headers['content-length']).toBe(String(Buffer.byteLength(normal.body)));
    expect(slow.headers['x-total-count']).toBe('300');
  });

  it('keeps the total time with many small chunks (default 64 bytes)', async () => {
    s = await startSimulator();
    const c = await client(s.base);
    s.sim.faults.set('GET /v1/asset', { slowBodyMs: 500 });
    const slow = await exchange(s.base, 'GET', '/v1/asset?per_page=50', { headers: authHeaders(c.tokens) });
    expect(Buffer.byteLength(slow.body)).toBeGreaterThan(64 * 200);
    expect(JSON.parse(slow.body)).toHaveLength(50);
    expect(slow.totalMs).toBeGreaterThanOrEqual(490);
    expect(slow.totalMs).toBeLessThan(1200);
  });

  it('adds latency before the first byte', async () => {
    s = await startSimulator({ faults: { 'GET /v1/programs': { latencyMs: 200, slowBodyMs: 200 } } });
    const c = await client(s.base);
    const res = await exchange(s.base, 'GET', '/v1/programs', { headers: authHeaders(c.tokens) });
    expect(res.status).toBe(200);
    expect(res.headersAfterMs).toBeGreaterThanOrEqual(195);
    expect(res.totalMs).toBeGreaterThanOrEqual(390);
    expect(JSON.parse(res.body)).toBeInstanceOf(Array);
  });

  it('clears its timers when the client goes away mid-body', async () => {
    s = await startSimulator();
    // Signed in over node:http without keep-alive: fetch's own timers would blur the count.
    const signin = await exchange(s.base, 'POST', '/v1/auth/signin', { json: s.sim.demo });
    const tokens = JSON.parse(signin.body).AuthenticationResult;
    // A few big chunks: the next one is seconds away when the client leaves.
    s.sim.faults.set('GET /v1/asset', { slowBodyMs: 20_000, slowBodyChunkBytes: 1024 });
    expect(await eventually(() => activeTimeouts() === 0, 5000)).toBe(true);
    const baseline = activeTimeouts();
    const controller = new AbortController();
    const pending = exchange(s.base, 'GET', '/v1/asset?per_page=5', { headers: authHeaders(tokens), signal: controller.signal });
    await sleep(300);
    expect(activeTimeouts()).toBeGreaterThan(baseline);
    controller.abort();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.error).toBeDefined();
    expect(await eventually(() => activeTimeouts() <= baseline, 1000)).toBe(true);
  });
});
