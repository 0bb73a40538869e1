// The header rule in front of every data endpoint: `Authorization: <IdToken>` (raw, no
// scheme) plus `access-token: <AccessToken>`, from the same sign-in, unexpired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, call, manualClock, signIn, startSimulator, type Running, type Tokens } from './simulator-helpers.js';

const T0 = Date.UTC(2025, 6, 1, 9, 0, 0);

/** Every guarded endpoint with a request that would otherwise succeed. */
const GUARDED: [string, string, unknown?][] = [
  ['GET', '/v1/asset'],
  ['GET', '/v1/asset/1'],
  ['POST', '/v1/asset/create', { serial_number: 'GUARD-1', asset_type_id: 1 }],
  ['POST', '/v1/asset/request', { asset_ids: [1], request_type: 'pickup' }],
  ['PUT', '/v1/asset/1', { make: 'Apple' }],
  ['PUT', '/v1/pricebook/1/A', { price: 1 }],
  ['POST', '/v1/asset/confirm', { asset_id: 1 }],
  ['GET', '/v1/asset/org/2'],
  ['GET', '/v1/programs'],
  ['GET', '/v1/tracking'],
];

describe('data endpoint headers', () => {
  const clock = manualClock(T0);
  let s: Running;
  let tokens: Tokens;
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now, tokenTtlS: 600 });
    tokens = await signIn(s.base);
  });
  afterAll(() => s.sim.close());

  const get = (headers: Record<string, string>) => call(s.base, 'GET', '/v1/asset/1', { headers });

  it('accepts the raw IdToken with its AccessToken', async () => {
    const res = await get(authHeaders(tokens));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(1);
  });

  it('refuses every guarded endpoint without headers, before reading the body', async () => {
    for (const [method, path, json] of GUARDED) {
      const res = await call(s.base, method, path, json === undefined ? {} : { json });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(typeof res.body.message).toBe('string');
    }
    // A malformed body is not even parsed: 401, not 400.
    const res = await call(s.base, 'POST', '/v1/asset/create', { raw: '{oops', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
  });

  it('runs every guarded endpoint with the headers (2xx)', async () => {
    for (const [method, path, json] of GUARDED) {
      const res = await call(s.base, method, path, { headers: authHeaders(tokens), ...(json === undefined ? {} : { json }) });
      expect(res.status, `${method} ${path}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
    }
  });

  it('refuses a missing Authorization header', async () => {
    const res = await get({ 'access-token': tokens.AccessToken });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Missing Authorization header: send the IdToken as its value' });
  });

  it('refuses a missing access-token header', async () => {
    const res = await get({ authorization: tokens.IdToken });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Missing access-token header: send the AccessToken as its value' });
  });

  it('refuses "Bearer <IdToken>": the real API takes the raw token', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await get({ authorization: `${scheme} ${tokens.IdToken}`, 'access-token': tokens.AccessToken });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Authorization must be the raw IdToken, without a "Bearer" scheme' });
    }
    const accessWithScheme = await get({ authorization: tokens.IdToken, 'access-token': `Bearer ${tokens.AccessToken}` });
    expect(accessWithScheme.status).toBe(401);
  });

  it('refuses swapped tokens and an access token in both headers', async () => {
    const swapped = await get({ authorization: tokens.AccessToken, 'access-token': tokens.IdToken });
    expect(swapped.status).toBe(401);
    expect(swapped.body).toEqual({ message: 'Unauthorized' });
    const same = await get({ authorization: tokens.AccessToken, 'access-token': tokens.AccessToken });
    expect(same.status).toBe(401);
  });

  it('refuses a pair taken from two different sign-ins', async () => {
    const other = await signIn(s.base);
    const res = await get({ authorization: tokens.IdToken, 'access-token': other.AccessToken });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'The IdToken and the access-token do not belong to the same sign-in' });
    // Each pair on its own is fine.
    expect((await get(authHeaders(other))).status).toBe(200);
  });

  it('refuses made-up and tampered tokens', async () => {
    const tampered = tokens.IdToken.slice(0, -1) + (tokens.IdToken.endsWith('A') ? 'B' : 'A');
    for (const authorization of ['abc', tampered, `${tokens.IdToken}x`]) {
      const res = await get({ authorization, 'access-token': tokens.AccessToken });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Unauthorized' });
    }
  });

  it('never echoes a token in a 401', async () => {
    const other = await signIn(s.base);
    const answers = await Promise.all([
      get({ authorization: `Bearer ${tokens.IdToken}`, 'access-token': tokens.AccessToken }),
      get({ authorization: tokens.IdToken, 'access-token': other.AccessToken }),
      get({ authorization: tokens.AccessToken, 'access-token': tokens.IdToken }),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      for (const t of [tokens.IdToken, tokens.AccessToken, other.AccessToken]) {
        expect(res.text).not.toContain(t.slice(0, 40));
        expect(res.text).not.toContain(t.split('.')[2]!.slice(0, 40));
      }
    }
  });

  it('expires the pair after tokenTtlS, measured with the injected clock', async () => {
    clock.set(T0 + 3_600_000);
    const fresh = await signIn(s.base);
    clock.advance(600_000 - 1);
    expect((await get(authHeaders(fresh))).status).toBe(200);
    clock.advance(1);
    const res = await get(authHeaders(fresh));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'The incoming token has expired' });
    // A refresh brings back a working pair.
    const refreshed = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: fresh.RefreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await get(authHeaders(refreshed.body.AuthenticationResult))).status).toBe(200);
  });
});

describe('revokeAllTokens', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startSimulator();
  });
  afterAll(() => s.sim.close());

  it('makes every issued pair answer 401 while refresh tokens keep working', async () => {
    const a = await signIn(s.base);
    const b = await signIn(s.base);
    expect((await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(a) })).status).toBe(200);

    s.sim.revokeAllTokens();
    for (const t of [a, b]) {
      const res = await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(t) });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Unauthorized' });
    }

    const refreshed = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: a.RefreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(refreshed.body.AuthenticationResult) })).status).toBe(200);
    const again = await signIn(s.base);
    expect((await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(again) })).status).toBe(200);
  });
});

describe('two simulators', () => {
  it('do not accept each other\'s tokens', async () => {
    const one = await startSimulator();
    const two = await startSimulator();
    try {
      const tokens = await signIn(one.base);
      expect((await call(one.base, 'GET', '/v1/programs', { headers: authHeaders(tokens) })).status).toBe(200);
      expect((await call(two.base, 'GET', '/v1/programs', { headers: authHeaders(tokens) })).status).toBe(401);
      const refresh = await call(two.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: tokens.RefreshToken } });
      expect(refresh.status).toBe(401);
    } finally {
      await Promise.all([one.sim.close(), two.sim.close()]);
    }
  });
});
