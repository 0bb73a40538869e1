// Fault injection and the simulator's life cycle: close() stays prompt with long delays
// pending (their connections are destroyed), a client that leaves during a delay leaves
// no timer behind, and two simulators in one process never share faults.
import { describe, expect, it } from 'vitest';
import { activeTimeouts, eventually, exchange, sleep, timed } from './simulator-faults-helpers.js';
import { authHeaders, startSimulator } from './simulator-helpers.js';

async function signInRaw(base: string, demo: { username: string; password: string }) {
  const res = await exchange(base, 'POST', '/v1/auth/signin', { json: demo });
  return authHeaders(JSON.parse(res.body).AuthenticationResult);
}

describe('fault injection: close and client aborts', () => {
  it('close() finishes promptly with latency, drops and slow bodies pending', async () => {
    const { sim, base } = await startSimulator();
    const headers = await signInRaw(base, sim.demo);
    sim.faults.set('GET /v1/asset/:id', { latencyMs: 60_000 });
    sim.faults.set('GET /v1/programs', { dropRate: 1, latencyMs: 60_000 });
    sim.faults.set('GET /v1/tracking', { slowBodyMs: 60_000 });
    sim.faults.set('GET /v1/asset', { rateLimitRate: 1, latencyMs: 60_000 });
    const pending = [
      exchange(base, 'GET', '/v1/asset/1', { headers }),
      exchange(base, 'GET', '/v1/programs', { headers }),
      exchange(base, 'GET', '/v1/tracking', { headers }),
      exchange(base, 'GET', '/v1/asset', { headers }),
    ];
    expect(await eventually(() => Object.keys(sim.calls()).length === 5)).toBe(true);
    await sleep(50);
    const { ms } = await timed(() => sim.close());
    expect(ms).toBeLessThan(1000);
    const results = await Promise.all(pending);
    for (const res of results) expect(res.error).toBeDefined();
    expect(results[2]?.status).toBe(200); // the slow body had sent its headers
  });

  it('clears a pending latency timer when the client goes away', async () => {
    const { sim, base } = await startSimulator();
    try {
      const headers = await signInRaw(base, sim.demo);
      sim.faults.set('GET /v1/asset/:id', { latencyMs: 20_000 });
      expect(await eventually(() => activeTimeouts() === 0, 5000)).toBe(true);
      const controller = new AbortController();
      const pending = exchange(base, 'GET', '/v1/asset/1', { headers, signal: controller.signal });
      expect(await eventually(() => activeTimeouts() === 1)).toBe(true);
      controller.abort();
      expect((await pending).status).toBeUndefined();
      expect(await eventually(() => activeTimeouts() === 0, 1000)).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('keeps faults, seeds and counters per simulator', async () => {
    const a = await startSimulator({ faults: { '*': { errorRate: 1 } } });
    const b = await startSimulator();
    try {
      expect((await exchange(a.base, 'GET', '/v1/programs')).status).toBe(503);
      expect((await exchange(b.base, 'GET', '/v1/programs')).status).toBe(401);
      expect(b.sim.faults.get()).toEqual({});
      expect(b.sim.faultCounts()).toEqual({ 'GET /v1/programs': expect.objectContaining({ real: 1, faulted: 0 }) });
    } finally {
      await Promise.all([a.sim.close(), b.sim.close()]);
    }
  });
});
