// However many calls find the token expired at once, exactly one refresh (or sign-in)
// goes upstream, and all of them wait for it.
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from './helpers/clock.js';
import { startGateway, startStack, signIn, type Stack } from './helpers/stack.js';
import { startScriptedUpstream } from './helpers/scripted-upstream.js';
import { json } from './helpers/recording-upstream.js';
import { count, getAll, LIST, postJson, REFRESH, SIGNIN } from './helpers/tokens.js';

const N = 50;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stackWith(options: Parameters<typeof startStack>[0]): Promise<Stack> {
  const s = await startStack(options);
  cleanups.push(() => s.close());
  return s;
}

const burst = (url: string) => Promise.all(Array.from({ length: N }, () => getAll(url)));

describe('single-flight renewal', () => {
  it(`${N} concurrent calls after expiry: exactly one refresh upstream, all ${N} succeed`, async () => {
    const clock = manualClock();
    const s = await stackWith({ now: clock.now, simulator: { now: clock.now } });
    await signIn(s);
    clock.advanceS(3600);
    const results = await burst(s.url);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(results.every((r) => r.json.status === 'success')).toBe(true);
    const calls = s.sim.calls();
    expect(count(calls, REFRESH)).toBe(1);
    expect(count(calls, SIGNIN)).toBe(1);
    // Every call went out once, with the refreshed token: no 401 and replay.
    expect(count(calls, LIST)).toBe(N);
  });

  it(`${N} concurrent calls after expiry with rotating refresh tokens: still one refresh`, async () => {
    const clock = manualClock();
    const s = await stackWith({ now: clock.now, simulator: { now: clock.now, rotateRefreshTokens: true } });
    await signIn(s);
    clock.advanceS(3600);
    const results = await burst(s.url);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
  });

  it(`${N} concurrent calls when the refresh is slow all wait for the one refresh`, async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    up.onRefresh = (req, res) => setTimeout(() => up.defaults.refresh(req, res), 150);
    const gw = await startGateway(up.url, { now: clock.now });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    clock.advanceS(3600);
    const results = await burst(gw.url);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(up.refreshes).toHaveLength(1);
    const refreshed = up.issued[1]!;
    expect(up.data).toHaveLength(N);
    expect(new Set(up.data.map((r) => r.headers.authorization))).toEqual(new Set([refreshed.IdToken]));
  });

  it(`${N} concurrent calls after all tokens were revoked upstream: one refresh, all succeed`, async () => {
    const s = await stackWith({});
    await signIn(s);
    s.sim.revokeAllTokens();
    const results = await burst(s.url);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    // Each call was sent at most twice (once refused, once replayed).
    expect(count(s.sim.calls(), LIST)).toBeGreaterThan(N);
    expect(count(s.sim.calls(), LIST)).toBeLessThanOrEqual(2 * N);
  });

  it(`${N} concurrent calls of a service gateway with no token: exactly one sign-in`, async () => {
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    // Hold the start-up sign-in long enough for the whole burst to arrive while it runs.
    up.onSignIn = (req, res) => setTimeout(() => up.defaults.signIn(req, res), 150);
    const gw = await startGateway(up.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'svc-pw' } });
    cleanups.push(() => gw.close());
    const results = await burst(gw.url);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(up.signIns).toHaveLength(1);
    expect(up.refreshes).toHaveLength(0);
  });

  it(`${N} concurrent calls whose refresh is refused: one refresh, all answer 401`, async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    up.onRefresh = (_req, res) => setTimeout(() => json(res, 401, { message: 'Invalid Refresh Token' }), 150);
    const gw = await startGateway(up.url, { now: clock.now });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    clock.advanceS(3600);
    const results = await burst(gw.url);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(401));
    expect(results[0]!.json).toEqual({ status: 'error', message: 'token refresh failed: POST /api/auth again' });
    expect(up.refreshes).toHaveLength(1);
    expect(up.data).toHaveLength(0);
  });
});
