// The HTTP control surface under /_simulator/: only with `control: true`, validated with
// 400s, never counted and never faulted.
import { afterEach, describe, expect, it } from 'vitest';
import { call, client, signIn, startSimulator, type Running } from './simulator-helpers.js';

const target = (key: string) => `/_simulator/faults/${encodeURIComponent(key)}`;

describe('fault injection: HTTP control surface', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  it('is a plain 404 when control is off (the default)', async () => {
    s = await startSimulator();
    for (const [method, path] of [
      ['GET', '/_simulator/faults'],
      ['PUT', target('*')],
      ['DELETE', '/_simulator/faults'],
      ['GET', '/_simulator/calls'],
      ['POST', '/_simulator/revoke-tokens'],
      ['PUT', '/_simulator/lockout'],
    ] as const) {
      const res = await call(s.base, method, path, method === 'PUT' ? { json: { errorRate: 1 } } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toEqual({ message: 'Not Found' });
    }
    expect(s.sim.faults.get()).toEqual({});
    expect(s.sim.calls()).toEqual({});
  });

  it('sets, lists and clears faults', async () => {
    s = await startSimulator({ control: true });
    const put = await call(s.base, 'PUT', target('GET /v1/asset/:id'), { json: { errorRate: 1, errorStatuses: [502] } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ target: 'GET /v1/asset/:id', spec: { errorRate: 1, errorStatuses: [502] } });
    expect((await call(s.base, 'PUT', target('*'), { json: { latencyMs: 5 } })).status).toBe(200);
    expect((await call(s.base, 'GET', '/_simulator/faults')).body).toEqual({
      'GET /v1/asset/:id': { errorRate: 1, errorStatuses: [502] },
      '*': { latencyMs: 5 },
    });
    expect(s.sim.faults.get()['GET /v1/asset/:id']).toEqual({ errorRate: 1, errorStatuses: [502] });
    expect((await call(s.base, 'GET', '/v1/asset/1')).status).toBe(502);

    expect((await call(s.base, 'DELETE', target('GET /v1/asset/:id'))).status).toBe(204);
    expect((await call(s.base, 'GET', '/_simulator/faults')).body).toEqual({ '*': { latencyMs: 5 } });
    expect((await call(s.base, 'DELETE', '/_simulator/faults')).status).toBe(204);
    expect((await call(s.base, 'GET', '/_simulator/faults')).body).toEqual({});
    expect((await call(s.base, 'GET', '/v1/asset/1')).status).toBe(401);
  });

  it('answers 400 naming the field for a bad spec, and for an unknown target', async () => {
    s = await startSimulator({ control: true });
    const bad = await call(s.base, 'PUT', target('*'), { json: { errorRate: 2, dropWhen: 'later', bogus: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('Invalid request body');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body', 'dropWhen', 'errorRate']);
    expect((await call(s.base, 'PUT', target('*'), { json: [1] })).status).toBe(400);
    expect((await call(s.base, 'PUT', target('*'), { raw: '{', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    const unknown = await call(s.base, 'PUT', target('GET /v1/nope'), { json: { errorRate: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'target', message: expect.stringContaining('unknown fault target') }]);
    expect((await call(s.base, 'DELETE', target('GET /v1/nope'))).status).toBe(400);
    expect(s.sim.faults.get()).toEqual({});
  });

  it('sets and clears the sign-in lockout', async () => {
    s = await startSimulator({ control: true });
    const put = await call(s.base, 'PUT', '/_simulator/lockout', { json: { maxFailures: 1, lockMs: 60_000 } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ policy: { maxFailures: 1, lockMs: 60_000 }, lockedAccounts: [] });
    await call(s.base, 'POST', '/v1/auth/signin', { json: { username: 'user@example.com', password: 'nope' } });
    expect((await call(s.base, 'GET', '/_simulator/lockout')).body).toEqual({ policy: { maxFailures: 1, lockMs: 60_000 }, lockedAccounts: ['user@example.com'] });
    expect((await call(s.base, 'POST', '/v1/auth/signin', { json: s.sim.demo })).status).toBe(400);
    expect((await call(s.base, 'DELETE', '/_simulator/lockout')).status).toBe(204);
    expect((await call(s.base, 'POST', '/v1/auth/signin', { json: s.sim.demo })).status).toBe(200);
    expect((await call(s.base, 'PUT', '/_simulator/lockout', { json: { maxFailures: 0 } })).status).toBe(400);
    expect((await call(s.base, 'PUT', '/_simulator/lockout', { json: {} })).status).toBe(400);
  });

  it('reads and resets the counters; its own calls are never counted nor faulted', async () => {
    s = await startSimulator({ control: true, faults: { '*': { errorRate: 1, latencyMs: 1000 } } });
    expect((await call(s.base, 'GET', '/v1/programs')).status).toBe(503);
    const started = Date.now();
    const calls = await call(s.base, 'GET', '/_simulator/calls');
    expect(Date.now() - started).toBeLessThan(600);
    expect(calls.status).toBe(200);
    expect(calls.body).toEqual({
      calls: { 'GET /v1/programs': 1 },
      faults: { 'GET /v1/programs': { real: 0, faulted: 1, dropped: 0, rateLimited: 0, errors: 1, droppedAfterHeaders: 0, lockedOut: 0 } },
    });
    expect((await call(s.base, 'DELETE', '/_simulator/calls')).status).toBe(204);
    expect((await call(s.base, 'GET', '/_simulator/calls')).body).toEqual({ calls: {}, faults: {} });
    expect(s.sim.calls()).toEqual({});
  });

  it('revokes every access/id token', async () => {
    s = await startSimulator({ control: true });
    const c = await client(s.base);
    expect((await c.call('GET', '/v1/programs')).status).toBe(200);
    expect((await call(s.base, 'POST', '/_simulator/revoke-tokens')).status).toBe(204);
    expect((await c.call('GET', '/v1/programs')).status).toBe(401);
    // Refresh tokens stay valid, as with revokeAllTokens().
    expect((await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: c.tokens.RefreshToken } })).status).toBe(200);
    await signIn(s.base);
    expect(s.sim.calls()).toEqual({ 'POST /v1/auth/signin': 2, 'GET /v1/programs': 2, 'POST /v1/auth/refresh': 1 });
  });
});
