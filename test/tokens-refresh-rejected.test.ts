// A refresh the upstream refuses (here: a fresh simulator that never issued our refresh
// token, as after an upstream restart). Without service credentials the client is told
// to sign in again; with them the gateway signs in by itself.
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, DEMO_ACCOUNT, type Simulator } from '../src/simulator/index.js';
import { manualClock, type ManualClock } from './helpers/clock.js';
import { startGateway, startStack, signIn, tempDir, type StartedGateway } from './helpers/stack.js';
import { count, getAll, health, LIST, postJson, readTokenFile, REFRESH, SIGNIN, tokenFile } from './helpers/tokens.js';
import { access } from 'node:fs/promises';

const REFRESH_FAILED = { status: 'error', message: 'token refresh failed: POST /api/auth again' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * Sign in against one simulator, then restart the upstream (a fresh simulator on the same
 * address, which never issued the held tokens) and start a new gateway on the same data
 * folder and clock: the tokens load, but mean nothing upstream any more.
 */
async function tokensFromAnotherSimulator(env: Record<string, string> = {}): Promise<{ sim: Simulator; gw: StartedGateway; clock: ManualClock }> {
  const clock = manualClock();
  const dataDir = await tempDir('evgw-rejected-');
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const first = await startStack({ dataDir, now: clock.now, simulator: { now: clock.now } });
  await signIn(first);
  const port = Number(new URL(first.simUrl).port);
  await first.close();

  const sim = createSimulator({ now: clock.now });
  const simUrl = await sim.listen({ port });
  cleanups.push(() => sim.close());
  const gw = await startGateway(simUrl, { dataDir, now: clock.now, env });
  cleanups.push(() => gw.close());
  return { sim, gw, clock };
}

const fileExists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('refresh refused, no service credentials', () => {
  it('after expiry: 401 "token refresh failed", one refresh, no data call', async () => {
    const { sim, gw, clock } = await tokensFromAnotherSimulator();
    clock.advanceS(3600);
    const res = await getAll(gw.url);
    expect(res.status).toBe(401);
    expect(res.json).toEqual(REFRESH_FAILED);
    expect(count(sim.calls(), REFRESH)).toBe(1);
    expect(count(sim.calls(), SIGNIN)).toBe(0);
    expect(count(sim.calls(), LIST)).toBe(0);
    const h = await health(gw.url);
    expect(h.authenticated).toBe(false);
  });

  it('the dead tokens are dropped: the next call does not retry the refresh, and /api/auth recovers', async () => {
    const { sim, gw, clock } = await tokensFromAnotherSimulator();
    clock.advanceS(3600);
    expect((await getAll(gw.url)).status).toBe(401);
    expect(await fileExists(tokenFile(gw.dataDir))).toBe(false);

    const again = await getAll(gw.url);
    expect(again.status).toBe(401);
    expect(again.json.status).toBe('error');
    expect(count(sim.calls(), REFRESH)).toBe(1);

    expect((await postJson(gw.url, '/api/auth', sim.demo)).status).toBe(200);
    expect((await getAll(gw.url)).status).toBe(200);
    expect(count(sim.calls(), LIST)).toBe(1);
  });

  it('a token believed valid but unknown upstream: 401 from upstream, refresh refused -> 401 "token refresh failed"', async () => {
    const { sim, gw } = await tokensFromAnotherSimulator();
    const res = await getAll(gw.url);
    expect(res.status).toBe(401);
    expect(res.json).toEqual(REFRESH_FAILED);
    expect(count(sim.calls(), LIST)).toBe(1);
    expect(count(sim.calls(), REFRESH)).toBe(1);
  });
});

describe('refresh refused, service credentials set', () => {
  it('after expiry: refresh refused, the gateway signs in again and the call succeeds', async () => {
    const demo = DEMO_ACCOUNT;
    const { sim, gw, clock } = await tokensFromAnotherSimulator({ EVERCYCLE_USERNAME: demo.username, EVERCYCLE_PASSWORD: demo.password });
    // The held token was still valid by the clock at start: no start-up sign-in.
    expect(count(sim.calls(), SIGNIN)).toBe(0);
    const before = await readTokenFile(gw.dataDir);
    clock.advanceS(3600);
    const res = await getAll(gw.url);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    expect(count(sim.calls(), REFRESH)).toBe(1);
    expect(count(sim.calls(), SIGNIN)).toBe(1);
    expect(count(sim.calls(), LIST)).toBe(1);
    const after = await readTokenFile(gw.dataDir);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await health(gw.url)).authenticated).toBe(true);
  });

  it('a token believed valid but unknown upstream: refresh refused, sign-in, replay succeeds', async () => {
    const demo = DEMO_ACCOUNT;
    const { sim, gw } = await tokensFromAnotherSimulator({ EVERCYCLE_USERNAME: demo.username, EVERCYCLE_PASSWORD: demo.password });
    const res = await getAll(gw.url);
    expect(res.status).toBe(200);
    expect(count(sim.calls(), LIST)).toBe(2);
    expect(count(sim.calls(), REFRESH)).toBe(1);
    expect(count(sim.calls(), SIGNIN)).toBe(1);
  });
});
