// Regression: a POST /api/auth that succeeds while a refresh is upstream must win.
// Before the fix, the refresh landing afterwards overwrote the new sign-in with the old
// account's refreshed tokens, and a refused refresh deleted the tokens /api/auth had just
// stored, so the call right after a 200 from /api/auth answered 401.
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from './helpers/clock.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream, type ScriptedResponder } from './helpers/scripted-upstream.js';
import { ONE_TRY, startGateway } from './helpers/stack.js';
import { getAll, postJson, readTokenFile, waitUntil } from './helpers/tokens.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** How long the upstream sits on the refresh: time enough for a sign-in to land meanwhile. */
const SLOW_MS = 300;

async function signInDuringSlowRefresh(refreshAnswer: 'refreshed' | 'refused', env: Record<string, string> = {}) {
  const clock = manualClock();
  const up = await startScriptedUpstream();
  cleanups.push(() => up.close());
  const gw = await startGateway(up.url, { now: clock.now, env: { ...ONE_TRY, ...env } });
  cleanups.push(() => gw.close());
  expect((await postJson(gw.url, '/api/auth', { username: 'first@example.com', password: 'pw-1' })).status).toBe(200);
  const firstCount = up.issued.length;

  const answer: ScriptedResponder = refreshAnswer === 'refreshed' ? up.defaults.refresh : (_req, res) => json(res, 401, { message: 'Invalid Refresh Token' });
  up.onRefresh = (req, res) => setTimeout(() => answer(req, res), SLOW_MS);
  clock.advanceS(3600);
  const pending = getAll(gw.url); // finds the token expired and starts the slow refresh
  await waitUntil(() => up.refreshes.length === 1, 'the refresh to reach the upstream');
  const auth = await postJson(gw.url, '/api/auth', { username: 'second@example.com', password: 'pw-2' });
  expect(auth.status).toBe(200);
  const second = up.issued[firstCount]!;
  const pendingResult = await pending;
  return { up, gw, second, pendingResult };
}

describe('POST /api/auth while a refresh is in flight', () => {
  it('the refresh comes back later: the new sign-in is kept, in memory and on disk', async () => {
    const { up, gw, second, pendingResult } = await signInDuringSlowRefresh('refreshed');
    expect(pendingResult.status).toBe(200);
    expect((await readTokenFile(gw.dataDir)).idToken).toBe(second.IdToken);
    expect((await getAll(gw.url)).status).toBe(200);
    expect(up.data.at(-1)!.headers.authorization).toBe(second.IdToken);
    expect(up.data.at(-1)!.headers['access-token']).toBe(second.AccessToken);
  });

  it('the refresh is refused later: the new sign-in is not thrown away', async () => {
    const { up, gw, second, pendingResult } = await signInDuringSlowRefresh('refused');
    // The waiting call is served with the newer tokens rather than told to sign in again.
    expect(pendingResult.status).toBe(200);
    expect((await readTokenFile(gw.dataDir)).idToken).toBe(second.IdToken);
    const next = await getAll(gw.url);
    expect(next.status).toBe(200);
    expect(up.data.at(-1)!.headers.authorization).toBe(second.IdToken);
    expect(up.refreshes).toHaveLength(1);
  });

  it('with a service account whose sign-in is refused too: the new sign-in is kept', async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    const gw = await startGateway(up.url, { now: clock.now, env: { ...ONE_TRY, EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'svc-pw' } });
    cleanups.push(() => gw.close());
    expect((await getAll(gw.url)).status).toBe(200); // start-up sign-in
    // From now on the service account is refused, slowly; a person's sign-in is not.
    up.onRefresh = (_req, res) => json(res, 401, { message: 'Invalid Refresh Token' });
    up.onSignIn = (req, res) => {
      if (JSON.parse(req.body.toString('utf8')).username === 'svc@example.com') {
        setTimeout(() => json(res, 401, { message: 'Incorrect username or password.' }), SLOW_MS);
      } else up.defaults.signIn(req, res);
    };
    clock.advanceS(3600);
    const pending = getAll(gw.url);
    await waitUntil(() => up.signIns.length === 2, 'the service sign-in to reach the upstream');
    expect((await postJson(gw.url, '/api/auth', { username: 'person@example.com', password: 'pw' })).status).toBe(200);
    const person = up.issued.at(-1)!;
    // Sign-ins never overlap: the person's waited for the service account's, and the call
    // that started it was answered with that refusal. The person's tokens are kept.
    expect((await pending).status).toBe(401);
    expect((await readTokenFile(gw.dataDir)).idToken).toBe(person.IdToken);
    expect((await getAll(gw.url)).status).toBe(200);
    expect(up.data.at(-1)!.headers.authorization).toBe(person.IdToken);
  });
});
