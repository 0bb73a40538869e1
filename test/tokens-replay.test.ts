// An upstream 401 on a token we believed valid: renew once, replay once, never loop.
import { afterEach, describe, expect, it } from 'vitest';
import { json, startRecordingUpstream } from './helpers/recording-upstream.js';
import { startScriptedUpstream } from './helpers/scripted-upstream.js';
import { startGateway, startStack, signIn, type Stack } from './helpers/stack.js';
import { count, getAll, LIST, postJson, readTokenFile, REFRESH, SIGNIN } from './helpers/tokens.js';
import { rawRequest } from './helpers/raw-http.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('replay after an upstream 401', () => {
  let s: Stack;

  it('revoked tokens: exactly one refresh and one replay, the call succeeds', async () => {
    s = await startStack();
    cleanups.push(() => s.close());
    await signIn(s);
    const before = await readTokenFile(s.dataDir);
    s.sim.revokeAllTokens();
    const res = await getAll(s.url);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    const calls = s.sim.calls();
    expect(count(calls, REFRESH)).toBe(1);
    expect(count(calls, LIST)).toBe(2);
    expect(count(calls, SIGNIN)).toBe(1);
    const after = await readTokenFile(s.dataDir);
    expect(after.idToken).not.toBe(before.idToken);
    // The next call uses the new pair directly.
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), LIST)).toBe(3);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
  });

  it('a replayed POST sends the same body bytes again', async () => {
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    let first = true;
    up.onData = (req, res) => {
      if (first) {
        first = false;
        return json(res, 401, { message: 'The incoming token has expired' });
      }
      json(res, 201, { id: 1 });
    };
    const gw = await startGateway(up.url);
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    const body = '{"asset_type_id":1,"serial_number":"ZX-ü-1","make":"Dell"}';
    const res = await rawRequest(gw.url, 'POST', '/api/create', { headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ status: 'success', data: { id: 1 } });
    expect(up.data).toHaveLength(2);
    expect(up.refreshes).toHaveLength(1);
    expect(up.data.map((r) => r.body.toString('utf8'))).toEqual([body, body]);
    expect(up.data[0]!.headers.authorization).toBe(up.issued[0]!.IdToken);
    expect(up.data[1]!.headers.authorization).toBe(up.issued[1]!.IdToken);
    expect(up.data[1]!.headers['access-token']).toBe(up.issued[1]!.AccessToken);
  });

  it('the replay refused too: the client gets 401 and the upstream saw exactly 2 calls', async () => {
    const up = await startRecordingUpstream();
    cleanups.push(() => up.close());
    up.respond = (_req, res) => json(res, 401, { message: 'Unauthorized' });
    const gw = await startGateway(up.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'svc-pw' } });
    cleanups.push(() => gw.close());
    const res = await getAll(gw.url);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ status: 'error', message: 'Unauthorized', upstream_status: 401, details: { message: 'Unauthorized' } });
    expect(up.requests).toHaveLength(2);
    expect(up.refreshes).toBe(1);
    expect(up.signIns).toBe(1);

    // The next call gets its own single replay, not a loop either.
    const again = await getAll(gw.url);
    expect(again.status).toBe(401);
    expect(up.requests).toHaveLength(4);
    expect(up.refreshes).toBe(2);
  });

  it('a 403 is not a token problem: no refresh, no replay', async () => {
    const up = await startRecordingUpstream();
    cleanups.push(() => up.close());
    up.respond = (_req, res) => json(res, 403, { message: 'Forbidden' });
    const gw = await startGateway(up.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'svc-pw' } });
    cleanups.push(() => gw.close());
    const res = await getAll(gw.url);
    expect(res.status).toBe(403);
    expect(up.requests).toHaveLength(1);
    expect(up.refreshes).toBe(0);
  });

  it('APIs without auth are never replayed', async () => {
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    up.onSignIn = (_req, res) => json(res, 401, { message: 'Incorrect username or password.' });
    const gw = await startGateway(up.url);
    cleanups.push(() => gw.close());
    const res = await postJson(gw.url, '/api/auth-signin', { username: 'u@example.com', password: 'wrong' });
    expect(res.status).toBe(401);
    expect(up.signIns).toHaveLength(1);
    expect(up.refreshes).toHaveLength(0);
  });
});
