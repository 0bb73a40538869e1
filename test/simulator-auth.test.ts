// Sign-in and token refresh of the simulator, over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.js';
import { authHeaders, call, jwtPayload, manualClock, signIn, startSimulator, type Running } from './simulator-helpers.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const T0 = Date.UTC(2025, 6, 1, 9, 0, 0);

describe('POST /v1/auth/signin', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startSimulator({ now: () => T0 });
  });
  afterAll(() => s.sim.close());

  it('accepts the spec curl example and answers a Cognito-shaped result', async () => {
    const res = await call(s.base, 'POST', '/v1/auth/signin', { json: { username: 'user@example.com', password: 'secret' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(['AuthenticationResult', 'ChallengeParameters']);
    expect(res.body.ChallengeParameters).toEqual({});
    const r = res.body.AuthenticationResult;
    expect(Object.keys(r).sort()).toEqual(['AccessToken', 'ExpiresIn', 'IdToken', 'RefreshToken', 'TokenType']);
    expect(r.TokenType).toBe('Bearer');
    expect(r.ExpiresIn).toBe(3600);
    expect(r.AccessToken).toMatch(JWT_SHAPE);
    expect(r.IdToken).toMatch(JWT_SHAPE);
    expect(r.RefreshToken.split('.')).toHaveLength(5);
    expect(new Set([r.AccessToken, r.IdToken, r.RefreshToken]).size).toBe(3);
  });

  it('puts iat/exp from the injected clock and the token use into the payloads', async () => {
    const tokens = await signIn(s.base);
    const access = jwtPayload(tokens.AccessToken);
    const id = jwtPayload(tokens.IdToken);
    expect(access.iat).toBe(T0 / 1000);
    expect(access.exp).toBe(T0 / 1000 + 3600);
    expect(access.token_use).toBe('access');
    expect(id.token_use).toBe('id');
    expect(id.exp).toBe(T0 / 1000 + 3600);
    expect(id.email).toBe('user@example.com');
    expect(id['custom:organization_id']).toBe('1');
    expect(access.origin_jti).toBe(id.origin_jti);
  });

  it('issues fresh tokens on every sign-in', async () => {
    const a = await signIn(s.base);
    const b = await signIn(s.base);
    expect(a.AccessToken).not.toBe(b.AccessToken);
    expect(a.IdToken).not.toBe(b.IdToken);
    expect(a.RefreshToken).not.toBe(b.RefreshToken);
  });

  it('matches the username case-insensitively', async () => {
    const res = await call(s.base, 'POST', '/v1/auth/signin', { json: { username: 'USER@Example.com', password: 'secret' } });
    expect(res.status).toBe(200);
  });

  it.each([
    ['wrong password', { username: DEMO_ACCOUNT.username, password: 'Secret' }],
    ['unknown user', { username: 'nobody@example.com', password: 'secret' }],
  ])('answers 401 with the Cognito message for a %s', async (_label, creds) => {
    const res = await call(s.base, 'POST', '/v1/auth/signin', { json: creds });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Incorrect username or password.' });
  });

  it('answers 400 naming the missing field', async () => {
    const res = await call(s.base, 'POST', '/v1/auth/signin', { json: { username: 'user@example.com' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid request body');
    expect(res.body.errors).toEqual([{ field: 'password', message: 'is required' }]);
  });

  it('answers 400 for both fields missing, empty strings and wrong types', async () => {
    const empty = await call(s.base, 'POST', '/v1/auth/signin', { json: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['password', 'username']);

    const blank = await call(s.base, 'POST', '/v1/auth/signin', { json: { username: '', password: '' } });
    expect(blank.status).toBe(400);

    const typed = await call(s.base, 'POST', '/v1/auth/signin', { json: { username: 1, password: true } });
    expect(typed.status).toBe(400);
    expect(typed.body.errors).toEqual([
      { field: 'username', message: 'expected string, got number' },
      { field: 'password', message: 'expected string, got boolean' },
    ]);
  });

  it('answers 400 for a body that is not a JSON object', async () => {
    const cases: { raw: string | undefined; headers: Record<string, string> }[] = [
      { raw: '{"username":', headers: { 'content-type': 'application/json' } },
      { raw: 'username=user@example.com&password=secret', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { raw: 'user@example.com secret', headers: { 'content-type': 'text/plain' } },
      { raw: '["user@example.com","secret"]', headers: { 'content-type': 'application/json' } },
      { raw: '', headers: { 'content-type': 'application/json' } },
      { raw: undefined, headers: {} },
    ];
    for (const c of cases) {
      const res = await call(s.base, 'POST', '/v1/auth/signin', c.raw === undefined ? { headers: c.headers } : { raw: c.raw, headers: c.headers });
      expect(res.status, JSON.stringify(c)).toBe(400);
      expect(typeof res.body.message, JSON.stringify(c)).toBe('string');
    }
  });
});

describe('token lifetime option', () => {
  it('uses tokenTtlS for ExpiresIn and exp', async () => {
    const s = await startSimulator({ tokenTtlS: 120, now: () => T0 });
    try {
      const tokens = await signIn(s.base);
      expect(tokens.ExpiresIn).toBe(120);
      expect(jwtPayload(tokens.IdToken).exp).toBe(T0 / 1000 + 120);
    } finally {
      await s.sim.close();
    }
  });
});

describe('POST /v1/auth/refresh without rotation (default)', () => {
  const clock = manualClock(T0);
  let s: Running;
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now });
  });
  afterAll(() => s.sim.close());

  it('answers a new access/id pair and no RefreshToken', async () => {
    const first = await signIn(s.base);
    clock.advance(60_000);
    const res = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: first.RefreshToken } });
    expect(res.status).toBe(200);
    const r = res.body.AuthenticationResult;
    expect(Object.keys(r).sort()).toEqual(['AccessToken', 'ExpiresIn', 'IdToken', 'TokenType']);
    expect(r.ExpiresIn).toBe(3600);
    expect(r.TokenType).toBe('Bearer');
    expect(r.AccessToken).not.toBe(first.AccessToken);
    expect(r.IdToken).not.toBe(first.IdToken);
    // New expiry from the refresh time, same sign-in time.
    expect(jwtPayload(r.IdToken).exp).toBe((T0 + 60_000) / 1000 + 3600);
    expect(jwtPayload(r.IdToken).auth_time).toBe(T0 / 1000);

    const withNew = await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(r) });
    expect(withNew.status).toBe(200);
    const withOld = await call(s.base, 'GET', '/v1/programs', { headers: authHeaders(first) });
    expect(withOld.status).toBe(200);
  });

  it('keeps the refresh token usable again and again', async () => {
    const first = await signIn(s.base);
    for (let i = 0; i < 3; i++) {
      const res = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: first.RefreshToken } });
      expect(res.status).toBe(200);
      expect(res.body.AuthenticationResult.RefreshToken).toBeUndefined();
    }
  });

  it('answers 401 for an unknown refresh token or an access token given as one', async () => {
    const tokens = await signIn(s.base);
    for (const refresh_token of ['not-a-token', tokens.AccessToken, tokens.IdToken, `${tokens.RefreshToken}x`]) {
      const res = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token } });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Invalid Refresh Token' });
    }
  });

  it('answers 400 when refresh_token is missing, empty or not a string', async () => {
    for (const json of [{}, { refresh_token: '' }, { refresh_token: 42 }, { RefreshToken: 'x' }]) {
      const res = await call(s.base, 'POST', '/v1/auth/refresh', { json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.errors[0].field).toBe('refresh_token');
    }
  });

  it('expires refresh tokens after 30 days', async () => {
    const tokens = await signIn(s.base);
    clock.advance(30 * 24 * 3600 * 1000 - 1);
    const justBefore = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: tokens.RefreshToken } });
    expect(justBefore.status).toBe(200);
    clock.advance(1);
    const atExpiry = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: tokens.RefreshToken } });
    expect(atExpiry.status).toBe(401);
    expect(atExpiry.body).toEqual({ message: 'Refresh Token has expired' });
  });
});

describe('POST /v1/auth/refresh with rotateRefreshTokens', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startSimulator({ rotateRefreshTokens: true });
  });
  afterAll(() => s.sim.close());

  it('answers a new RefreshToken and refuses the one it replaced', async () => {
    const first = await signIn(s.base);
    const res = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: first.RefreshToken } });
    expect(res.status).toBe(200);
    const second = res.body.AuthenticationResult;
    expect(Object.keys(second).sort()).toEqual(['AccessToken', 'ExpiresIn', 'IdToken', 'RefreshToken', 'TokenType']);
    expect(second.RefreshToken).not.toBe(first.RefreshToken);

    const reuse = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: first.RefreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ message: 'Invalid Refresh Token' });

    const chained = await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: second.RefreshToken } });
    expect(chained.status).toBe(200);
    const third = chained.body.AuthenticationResult;
    expect(third.RefreshToken).not.toBe(second.RefreshToken);
    expect((await call(s.base, 'GET', '/v1/tracking', { headers: authHeaders(third) })).status).toBe(200);
    expect((await call(s.base, 'POST', '/v1/auth/refresh', { json: { refresh_token: second.RefreshToken } })).status).toBe(401);
  });
});
