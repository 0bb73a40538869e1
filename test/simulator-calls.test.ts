// calls(): requests per endpoint, keyed "METHOD /route/pattern", whatever the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, call, signIn, startSimulator, type Running, type Tokens } from './simulator-helpers.js';

describe('calls()', () => {
  let s: Running;
  let tokens: Tokens;
  beforeAll(async () => {
    s = await startSimulator();
  });
  afterAll(() => s.sim.close());

  it('starts empty', () => {
    expect(s.sim.calls()).toEqual({});
  });

  it('counts every routed request by its pattern, including refused ones', async () => {
    tokens = await signIn(s.base);
    const h = authHeaders(tokens);
    await call(s.base, 'POST', '/v1/auth/signin', { json: { username: 'user@example.com', password: 'wrong' } }); // 401
    await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: tokens.RefreshToken } });
    await call(s.base, 'GET', '/v1/asset', { headers: h });
    await call(s.base, 'GET', '/v1/asset'); // 401
    await call(s.base, 'GET', '/v1/asset?per_page=9999', { headers: h }); // 400
    await call(s.base, 'GET', '/v1/asset/1', { headers: h });
    await call(s.base, 'GET', '/v1/asset/2', { headers: h });
    await call(s.base, 'GET', '/v1/asset/9999', { headers: h }); // 404
    await call(s.base, 'GET', '/v1/asset/abc', { headers: h }); // 400
    await call(s.base, 'PUT', '/v1/asset/1', { headers: h, json: { make: 'Apple' } });
    await call(s.base, 'POST', '/v1/asset/create', { headers: h, raw: '{bad json', }); // 400 (no content type: still routed)
    await call(s.base, 'PUT', '/v1/pricebook/1/A', { headers: h, json: { price: 1 } });
    await call(s.base, 'GET', '/v1/asset/org/2', { headers: h });
    await call(s.base, 'GET', '/v1/programs', { headers: h });
    await call(s.base, 'GET', '/v1/tracking', { headers: h });
    await call(s.base, 'POST', '/v1/asset/confirm', { headers: h, json: { asset_id: 1 } });
    await call(s.base, 'POST', '/v1/asset/request', { headers: h, json: { asset_ids: [1], request_type: 'pickup' } });
    // Not routed: unknown paths and methods are not counted.
    await call(s.base, 'GET', '/v1/nothing-here', { headers: h });
    await call(s.base, 'DELETE', '/v1/asset/1', { headers: h });
    await call(s.base, 'GET', '/v1/auth/signin');

    expect(s.sim.calls()).toEqual({
      'POST /v1/auth/signin': 2,
      'POST /v1/auth/refresh': 1,
      'GET /v1/asset': 3,
      'GET /v1/asset/:id': 4,
      'PUT /v1/asset/:id': 1,
      'POST /v1/asset/create': 1,
      'PUT /v1/pricebook/:id/:grade': 1,
      'GET /v1/asset/org/:org_id': 1,
      'GET /v1/programs': 1,
      'GET /v1/tracking': 1,
      'POST /v1/asset/confirm': 1,
      'POST /v1/asset/request': 1,
    });
  });

  it('answers a snapshot the caller cannot change', async () => {
    const snapshot = s.sim.calls();
    snapshot['GET /v1/asset'] = 1000;
    expect(s.sim.calls()['GET /v1/asset']).toBe(3);
  });

  it('starts over after resetCalls()', async () => {
    s.sim.resetCalls();
    expect(s.sim.calls()).toEqual({});
    await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(tokens) });
    await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(tokens) });
    expect(s.sim.calls()).toEqual({ 'GET /v1/programs': 2 });
  });

  it('counts per simulator', async () => {
    const other = await startSimulator();
    try {
      await signIn(other.base);
      expect(other.sim.calls()).toEqual({ 'POST /v1/auth/signin': 1 });
      expect(s.sim.calls()).toEqual({ 'GET /v1/programs': 2 });
    } finally {
      await other.sim.close();
    }
  });
});
