// DELETE /api/auth: the gateway forgets its Evercycle tokens (memory and token file), stops
// refreshing them, and says honestly what a configured service account will do next.
import { access } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { writeKeys } from './helpers/keys.js';
import { rawRequest } from './helpers/raw-http.js';
import { ONE_TRY, startStack, tempDir, type Stack, type StackOptions } from './helpers/stack.js';
import { count, getAll, health, postJson, REFRESH, SIGNIN, tokenFile } from './helpers/tokens.js';

let stack: Stack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(options: StackOptions = {}): Promise<Stack> {
  stack = await startStack(options);
  return stack;
}

async function signIn(s: Stack): Promise<void> {
  expect((await postJson(s.url, '/api/auth', s.sim.demo)).status).toBe(200);
}

const exists = (file: string) => access(file).then(() => true, () => false);

describe('DELETE /api/auth', () => {
  it('signs the gateway out: 200, tokens gone from memory and disk, calls answer 401, a restart stays signed out', async () => {
    const s = await start();
    await signIn(s);
    expect(await exists(tokenFile(s.dataDir))).toBe(true);
    expect((await getAll(s.url)).status).toBe(200);

    const res = await rawRequest(s.url, 'DELETE', '/api/auth');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', message: 'Signed out: the Evercycle tokens are deleted' });

    expect((await health(s.url)).authenticated).toBe(false);
    expect(await exists(tokenFile(s.dataDir))).toBe(false);
    const call = await getAll(s.url);
    expect(call.status).toBe(401);
    expect(call.json).toEqual({ status: 'error', message: 'not authenticated: POST /api/auth first' });

    await s.restart();
    expect((await health(s.url)).authenticated).toBe(false);
  });

  it('answers 200 "not signed in" when there is nothing to forget', async () => {
    const s = await start();
    const res = await rawRequest(s.url, 'DELETE', '/api/auth');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', message: 'Not signed in: no Evercycle tokens to delete' });
  });

  it('a later POST /api/auth signs in again', async () => {
    const s = await start();
    await signIn(s);
    expect((await rawRequest(s.url, 'DELETE', '/api/auth')).status).toBe(200);
    await signIn(s);
    expect((await getAll(s.url)).status).toBe(200);
    expect(s.sim.calls()[SIGNIN]).toBe(2);
  });

  it('with a service account: says it will sign in again, and the next call does', async () => {
    const s = await start({ env: { EVERCYCLE_USERNAME: 'user@example.com', EVERCYCLE_PASSWORD: 'secret' } });
    expect((await getAll(s.url)).status).toBe(200);
    const signInsBefore = count(s.sim.calls(), SIGNIN);

    const res = await rawRequest(s.url, 'DELETE', '/api/auth');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      status: 'success',
      message: 'Signed out: the Evercycle tokens are deleted; the configured service account signs in again on the next call',
    });
    expect((await health(s.url)).authenticated).toBe(false);

    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), SIGNIN)).toBe(signInsBefore + 1);
    // The secret stays out of the answer and the log.
    expect(res.text).not.toContain('secret');
    expect(s.logs.text).not.toContain('"secret"');
  });

  it('stops the background refresh of the forgotten tokens', async () => {
    // 2 s tokens are refreshed in the background at half their valid life (0.5 s).
    const s = await start({ simulator: { tokenTtlS: 2 }, env: { EVERCYCLE_REFRESH_AHEAD_S: '120' } });
    await signIn(s);
    await new Promise((r) => setTimeout(r, 900));
    // The background refresh runs in this setup...
    expect(count(s.sim.calls(), REFRESH)).toBe(1);

    await signIn(s);
    expect((await rawRequest(s.url, 'DELETE', '/api/auth')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 900));
    // ...and not after a sign-out.
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    expect((await health(s.url)).authenticated).toBe(false);
  });

  it('a refresh already upstream cannot sign the gateway back in after the sign-out', async () => {
    const s = await start({ simulator: { tokenTtlS: 2 }, env: { ...ONE_TRY } });
    await signIn(s);
    // Valid for 1 s (half of a 2 s lifetime); then the next call refreshes, slowly.
    await new Promise((r) => setTimeout(r, 1100));
    s.sim.faults.set('POST /v1/auth/refresh', { latencyMs: 400 });
    const call = getAll(s.url);
    await new Promise((r) => setTimeout(r, 100));
    const signOut = await rawRequest(s.url, 'DELETE', '/api/auth');
    expect(signOut.status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    // The call that was waiting for the refresh is served; the tokens it brought are not kept.
    expect((await call).status).toBe(200);
    expect((await health(s.url)).authenticated).toBe(false);
    expect(await exists(tokenFile(s.dataDir))).toBe(false);
  });

  it('needs an admin key: a write key gets 403 and the tokens stay', async () => {
    const dir = await tempDir();
    const { file, keys } = await writeKeys(dir, { ops: { role: 'admin' }, app: { role: 'write' } });
    const s = await start({ env: { API_KEYS_FILE: file } });
    const admin = { authorization: `Bearer ${keys.ops}` };
    expect((await rawRequest(s.url, 'POST', '/api/auth', { headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(s.sim.demo) })).status).toBe(200);

    const refused = await rawRequest(s.url, 'DELETE', '/api/auth', { headers: { authorization: `Bearer ${keys.app}` } });
    expect(refused.status).toBe(403);
    expect((await health(s.url)).authenticated).toBe(true);

    const anonymous = await rawRequest(s.url, 'DELETE', '/api/auth');
    expect(anonymous.status).toBe(401);
    expect((await health(s.url)).authenticated).toBe(true);

    expect((await rawRequest(s.url, 'DELETE', '/api/auth', { headers: admin })).status).toBe(200);
    expect((await health(s.url)).authenticated).toBe(false);
  });

  it('the other methods still answer 405, now allowing POST and DELETE', async () => {
    const s = await start();
    const res = await rawRequest(s.url, 'PUT', '/api/auth');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, DELETE');
  });
});
