// Fault injection: targets. '*' applies to every endpoint, an endpoint's own spec
// overrides it field by field; set() replaces, clear() removes one target or all; specs
// and targets are validated.
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, ENDPOINT_KEYS } from '../src/simulator/index.js';
import { timed } from './simulator-faults-helpers.js';
import { call, startSimulator, type Running } from './simulator-helpers.js';

describe('fault injection: targets', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  it("'*' applies to every endpoint", async () => {
    s = await startSimulator({ faults: { '*': { errorRate: 1, errorStatuses: [500] } } });
    expect((await call(s.base, 'GET', '/v1/programs')).status).toBe(500);
    expect((await call(s.base, 'POST', '/v1/auth/signin', { json: s.sim.demo })).status).toBe(500);
    expect((await call(s.base, 'PUT', '/v1/pricebook/1/A', { json: { price: 1 } })).status).toBe(500);
    // Unrouted requests are neither counted nor faulted.
    expect((await call(s.base, 'GET', '/v1/nothing')).status).toBe(404);
  });

  it('can fail the refresh endpoint alone', async () => {
    s = await startSimulator({ faults: { 'POST /v1/auth/refresh': { errorRate: 1, errorStatuses: [500] } } });
    const signIn = await call(s.base, 'POST', '/v1/auth/signin', { json: s.sim.demo });
    expect(signIn.status).toBe(200);
    const refresh = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: signIn.body.AuthenticationResult.RefreshToken } });
    expect(refresh.status).toBe(500);
    expect(s.sim.faultCounts()).toMatchObject({ 'POST /v1/auth/signin': { real: 1 }, 'POST /v1/auth/refresh': { errors: 1 } });
  });

  it("an endpoint's spec overrides '*' field by field", async () => {
    s = await startSimulator({
      faults: {
        '*': { errorRate: 1, errorStatuses: [500], latencyMs: 150 },
        'GET /v1/programs': { errorStatuses: [504] },
        'GET /v1/tracking': { errorRate: 0 },
      },
    });
    const programs = await timed(() => call(s!.base, 'GET', '/v1/programs'));
    expect(programs.value.status).toBe(504);
    expect(programs.ms).toBeGreaterThanOrEqual(145);
    const tracking = await timed(() => call(s!.base, 'GET', '/v1/tracking'));
    expect(tracking.value.status).toBe(401); // the real answer (no token), still delayed
    expect(tracking.ms).toBeGreaterThanOrEqual(145);
    expect((await call(s.base, 'GET', '/v1/asset')).status).toBe(500);
  });

  it('set() replaces a target; clear(target) and clear() remove', async () => {
    s = await startSimulator();
    s.sim.faults.set('GET /v1/programs', { errorRate: 1, latencyMs: 10 });
    s.sim.faults.set('GET /v1/programs', { rateLimitRate: 1 });
    s.sim.faults.set('*', { latencyMs: 1 });
    expect(s.sim.faults.get()).toEqual({ 'GET /v1/programs': { rateLimitRate: 1 }, '*': { latencyMs: 1 } });
    expect((await call(s.base, 'GET', '/v1/programs')).status).toBe(429);
    s.sim.faults.clear('GET /v1/programs');
    expect(s.sim.faults.get()).toEqual({ '*': { latencyMs: 1 } });
    expect((await call(s.base, 'GET', '/v1/programs')).status).toBe(401);
    s.sim.faults.set('GET /v1/tracking', { errorRate: 1 });
    s.sim.faults.clear();
    expect(s.sim.faults.get()).toEqual({});
    expect((await call(s.base, 'GET', '/v1/tracking')).status).toBe(401);
  });

  it('get() answers copies', () => {
    const sim = createSimulator({ faults: { '*': { errorRate: 0.5, errorStatuses: [502] } } });
    const copy = sim.faults.get();
    copy['*']!.errorStatuses!.push(500);
    copy['*']!.errorRate = 1;
    expect(sim.faults.get()).toEqual({ '*': { errorRate: 0.5, errorStatuses: [502] } });
  });

  it('accepts every endpoint key calls() uses, and refuses anything else', () => {
    const sim = createSimulator();
    for (const key of ENDPOINT_KEYS) sim.faults.set(key, { latencyMs: 1 });
    expect(Object.keys(sim.faults.get())).toHaveLength(ENDPOINT_KEYS.length);
    for (const bad of ['GET /v1/assets', 'get /v1/asset', 'GET /v1/asset/1', '', '**', 'GET /_simulator/faults']) {
      expect(() => sim.faults.set(bad, {})).toThrow(RangeError);
    }
    expect(() => sim.faults.clear('nope')).toThrow(RangeError);
  });

  it.each([
    [{ errorRate: 1.5 }, 'errorRate'],
    [{ errorRate: -0.1 }, 'errorRate'],
    [{ latencyMs: -1 }, 'latencyMs'],
    [{ latencyMs: 1.5 }, 'latencyMs'],
    [{ latencyMs: 600_001 }, 'latencyMs'],
    [{ errorStatuses: [501] }, 'errorStatuses.0'],
    [{ errorStatuses: [] }, 'errorStatuses'],
    [{ retryAfter: 'soon' }, 'retryAfter'],
    [{ dropWhen: 'never' }, 'dropWhen'],
    [{ slowBodyChunkBytes: 0 }, 'slowBodyChunkBytes'],
    [{ latencyMS: 10 }, 'body'],
  ])('refuses the spec %j (%s)', (spec, field) => {
    const sim = createSimulator();
    expect(() => sim.faults.set('*', spec as never)).toThrow(new RegExp(`invalid fault spec for \\*: ${field.replace('.', '\\.')}:`));
    expect(() => createSimulator({ faults: { '*': spec as never } })).toThrow(RangeError);
    expect(sim.faults.get()).toEqual({});
  });

  it('refuses a faultSeed that is not an integer', () => {
    expect(() => createSimulator({ faultSeed: 1.5 })).toThrow(RangeError);
  });
});
