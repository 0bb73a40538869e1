// Token validity (expiry minus EVERCYCLE_TOKEN_SKEW_S) and refreshing before the call.
// The gateway and the simulator share one hand-moved clock, so an expired token is also
// refused upstream: a call only succeeds if the gateway refreshed first.
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from './helpers/clock.js';
import { postJson } from './helpers/tokens.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream } from './helpers/scripted-upstream.js';
import { startGateway, startStack, signIn, type Stack, type StackOptions } from './helpers/stack.js';
import { count, getAll, health, LIST, readTokenFile, REFRESH, SIGNIN } from './helpers/tokens.js';

const TTL_S = 3600;
let stack: Stack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function signedIn(options: { env?: Record<string, string>; rotate?: boolean } = {}): Promise<{ s: Stack; clock: ManualClock }> {
  const clock = manualClock();
  const opts: StackOptions = { now: clock.now, simulator: { now: clock.now, tokenTtlS: TTL_S, rotateRefreshTokens: options.rotate ?? false } };
  if (options.env) opts.env = options.env;
  stack = await startStack(opts);
  await signIn(stack);
  return { s: stack, clock };
}

describe('token validity', () => {
  it('a token more than 60 s from expiry is used as is: no refresh', async () => {
    const { s, clock } = await signedIn();
    clock.advanceS(TTL_S - 61);
    const res = await getAll(s.url);
    expect(res.status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(0);
    expect(count(s.sim.calls(), LIST)).toBe(1);
    expect((await health(s.url)).authenticated).toBe(true);
  });

  it('at expiry minus 60 s the next call refreshes first (one refresh) and succeeds', async () => {
    const { s, clock } = await signedIn();
    clock.advanceS(TTL_S - 60);
    expect((await health(s.url)).authenticated).toBe(false);
    const res = await getAll(s.url);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    // Refreshed before the call, not after an upstream 401: the data endpoint saw one call.
    expect(count(s.sim.calls(), LIST)).toBe(1);
    const h = await health(s.url);
    expect(h.authenticated).toBe(true);
    expect(h.token_expires_in_s).toBe(TTL_S);
    // And the new token is used as is from then on.
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
  });

  it('long after expiry the call still refreshes and succeeds', async () => {
    const { s, clock } = await signedIn();
    clock.advanceS(TTL_S * 5);
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    expect(count(s.sim.calls(), LIST)).toBe(1);
  });

  it('honours EVERCYCLE_TOKEN_SKEW_S', async () => {
    const { s, clock } = await signedIn({ env: { EVERCYCLE_TOKEN_SKEW_S: '300' } });
    clock.advanceS(TTL_S - 301);
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(0);
    clock.advanceS(1);
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
  });

  it('a lifetime shorter than twice the skew is still usable: the skew shrinks to half the lifetime', async () => {
    const clock = manualClock();
    stack = await startStack({ now: clock.now, simulator: { now: clock.now, tokenTtlS: 60 } });
    await signIn(stack);
    expect((await health(stack.url)).authenticated).toBe(true);
    clock.advanceS(29);
    expect((await getAll(stack.url)).status).toBe(200);
    expect(count(stack.sim.calls(), REFRESH)).toBe(0);
    clock.advanceS(1);
    expect((await getAll(stack.url)).status).toBe(200);
    expect(count(stack.sim.calls(), REFRESH)).toBe(1);
  });

  it('calls that need no token (auth: false) never refresh', async () => {
    const { s, clock } = await signedIn();
    clock.advanceS(TTL_S * 2);
    const res = await postJson(s.url, '/api/auth-signin', s.sim.demo);
    expect(res.status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(0);
  });
});

describe('refresh tokens', () => {
  it('a refresh answer without RefreshToken keeps the one held; a second refresh still works', async () => {
    const { s, clock } = await signedIn();
    const first = await readTokenFile(s.dataDir);
    clock.advanceS(TTL_S);
    expect((await getAll(s.url)).status).toBe(200);
    const second = await readTokenFile(s.dataDir);
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.idToken).not.toBe(first.idToken);
    expect(second.expiresAt).toBe(clock.now() + TTL_S * 1000);

    clock.advanceS(TTL_S);
    expect((await getAll(s.url)).status).toBe(200);
    expect((await readTokenFile(s.dataDir)).refreshToken).toBe(first.refreshToken);
    expect(count(s.sim.calls(), REFRESH)).toBe(2);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    expect(count(s.sim.calls(), LIST)).toBe(2);
  });

  it('with rotation, the new RefreshToken replaces the old one (which the simulator now refuses)', async () => {
    const { s, clock } = await signedIn({ rotate: true });
    const first = await readTokenFile(s.dataDir);
    clock.advanceS(TTL_S);
    expect((await getAll(s.url)).status).toBe(200);
    const second = await readTokenFile(s.dataDir);
    expect(second.refreshToken).not.toBe(first.refreshToken);

    // The retired one is refused upstream, so a second refresh only works with the new one.
    const old = await postJson(s.simUrl, '/v1/auth/refresh', { refresh_token: first.refreshToken });
    expect(old.status).toBe(401);

    clock.advanceS(TTL_S);
    expect((await getAll(s.url)).status).toBe(200);
    const third = await readTokenFile(s.dataDir);
    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect(count(s.sim.calls(), REFRESH)).toBe(3); // two by the gateway, one by this test
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
  });

  it('the refresh request is POST /v1/auth/refresh with {"refresh_token": <held token>}, and the call uses the new pair', async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    const gw = await startGateway(up.url, { now: clock.now });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    const signedIn = up.issued[0]!;
    clock.advanceS(3600);
    expect((await getAll(gw.url)).status).toBe(200);

    expect(up.refreshes).toHaveLength(1);
    expect(up.refreshes[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(up.refreshes[0]!.body.toString('utf8'))).toEqual({ refresh_token: signedIn.RefreshToken });
    const refreshed = up.issued[1]!;
    expect(up.data).toHaveLength(1);
    expect(up.data[0]!.headers.authorization).toBe(refreshed.IdToken);
    expect(up.data[0]!.headers['access-token']).toBe(refreshed.AccessToken);
  });

  it('the refresh path is configurable (EVERCYCLE_REFRESH_PATH)', async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    up.onData = (req, res) => {
      if (req.method === 'POST' && req.url === '/v2/token/renew') {
        json(res, 200, { AuthenticationResult: { AccessToken: 'renewed-access', IdToken: 'renewed-id', ExpiresIn: 3600 } });
      } else up.defaults.data(req, res);
    };
    const gw = await startGateway(up.url, { now: clock.now, env: { EVERCYCLE_REFRESH_PATH: '/v2/token/renew' } });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    clock.advanceS(3600);
    expect((await getAll(gw.url)).status).toBe(200);
    expect(up.refreshes).toHaveLength(0);
    expect(up.data.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v2/token/renew', 'GET /v1/asset?per_page=2']);
    expect(up.data[1]!.headers.authorization).toBe('renewed-id');
    expect(up.data[1]!.headers['access-token']).toBe('renewed-access');
  });
});
