// Sign-in protection: a wrong service-account password must never lock the Evercycle
// account. After a rejected sign-in the next attempt waits (EVERCYCLE_SIGNIN_BACKOFF_MS,
// doubling), calls answer 401 meanwhile, and at most one sign-in is ever in flight.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, DEMO_ACCOUNT, type Simulator } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { runPool, sleep, tally } from './helpers/load.js';
import { rawRequest } from './helpers/raw-http.js';
import { startScriptedUpstream, type ScriptedUpstream } from './helpers/scripted-upstream.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';
import { getAll, postJson, SIGNIN, waitUntil } from './helpers/tokens.js';

const WRONG = { EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: 'not-the-password' };
const ENV = { EVERCYCLE_REFRESH_AHEAD_S: '0', EVERCYCLE_BREAKER_FAILURES: '1000000' };

let sim: Simulator | undefined;
let up: ScriptedUpstream | undefined;
let gw: StartedGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await sim?.close();
  await up?.close();
  gw = sim = up = undefined;
});

/** A simulator that locks an account after 10 failed sign-ins, as Cognito would, and a gateway in front. */
async function start(env: Record<string, string>, simFaults: Parameters<typeof createSimulator>[0] = {}): Promise<{ sim: Simulator; gw: StartedGateway }> {
  sim = createSimulator(simFaults);
  sim.faults.setSigninLockout({ maxFailures: 10 });
  const url = await sim.listen();
  gw = await startGateway(url, { env: { ...ENV, ...env } });
  return { sim, gw };
}

const signIns = (s: Simulator): number => s.calls()[SIGNIN] ?? 0;

describe('wrong stored password', () => {
  it('3 s of steady traffic (a call every 20 ms) -> a handful of sign-ins, all calls 401, the account never locked', async () => {
    const { sim, gw } = await start({ ...WRONG, EVERCYCLE_SIGNIN_BACKOFF_MS: '200' });
    const statuses: number[] = [];
    const retryAfters = new Set<string>();
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    while (Date.now() - started < 3000) {
      inFlight.push(
        getAll(gw.url).then((res) => {
          statuses.push(res.status);
          expect(res.json).toMatchObject({ status: 'error', message: expect.stringMatching(/sign-in with the configured service account failed|automatic sign-in is paused/) });
          if (res.headers['retry-after']) retryAfters.add(String(res.headers['retry-after']));
        }),
      );
      await sleep(20);
    }
    await Promise.all(inFlight);

    // Attempts at about 0, 0.2 and 0.6 s (200 ms doubling), then automatic sign-in pauses
    // after EVERCYCLE_SIGNIN_MAX_FAILURES (3) rejections in a row.
    const attempts = signIns(sim);
    expect(statuses.length).toBeGreaterThan(100);
    expect(tally(statuses)).toEqual({ 401: statuses.length });
    expect(attempts).toBe(3);
    expect(sim.faults.lockedAccounts()).toEqual([]);
    expect(retryAfters.size).toBeGreaterThan(0);
    // The gateway says what it does, and never the password.
    const backoffs = gw.logs.entries().filter((e) => e.msg === 'Evercycle rejected the configured service account; backing off');
    expect(backoffs.map((e) => e.next_attempt_in_ms)).toEqual([200, 400]);
    expect(gw.logs.entries().filter((e) => typeof e.msg === 'string' && e.msg.includes('automatic sign-in paused'))).toHaveLength(1);
    const ready = await fetch(`${gw.url}/ready`);
    expect(ready.status).toBe(503);
    expect(gw.logs.text).not.toContain(WRONG.EVERCYCLE_PASSWORD);
    console.info(`[figures] wrong password, ${statuses.length} calls in 3 s: ${attempts} sign-in attempts, account locked: no`);
  });

  it('a minute of steady traffic with the default back-off (virtual clock, a call every 200 ms) -> 4 sign-ins', async () => {
    const clock = manualClock();
    sim = createSimulator();
    sim.faults.setSigninLockout({ maxFailures: 10 });
    gw = await startGateway(await sim.listen(), { env: { ...ENV, ...WRONG }, now: clock.now });
    const s = sim;
    await waitUntil(() => signIns(s) === 1, 'the start-up sign-in');
    const statuses: number[] = [];
    for (let t = 0; t < 60_000; t += 200) {
      statuses.push((await getAll(gw.url)).status);
      clock.advance(200);
    }
    // 5 s, then 10 s between attempts: at 0, 5 and 15 s; then paused for good.
    expect(tally(statuses)).toEqual({ 401: 300 });
    expect(signIns(sim)).toBe(3);
    expect(sim.faults.lockedAccounts()).toEqual([]);
    // A person's successful POST /api/auth lifts the pause.
    expect((await fetch(`${gw.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_ACCOUNT) })).status).toBe(200);
    expect((await getAll(gw.url)).status).toBe(200);
  });

  it('once the backoff has passed, 100 concurrent calls make exactly one more sign-in', async () => {
    const { sim, gw } = await start({ ...WRONG, EVERCYCLE_SIGNIN_BACKOFF_MS: '200' }, { faults: { [SIGNIN]: { latencyMs: 150 } } });
    await waitUntil(() => gw.logs.entries().some((e) => e.msg === 'start-up sign-in failed; will retry on the next request'), 'the start-up sign-in');
    expect(signIns(sim)).toBe(1);
    await sleep(250);
    const results = await runPool(100, 100, () => getAll(gw.url));
    expect(tally(results.map((r) => r.status))).toEqual({ 401: 100 });
    expect(signIns(sim)).toBe(2);
    expect(sim.faults.lockedAccounts()).toEqual([]);
  });
});

describe('at most one sign-in in flight', () => {
  it('100 concurrent calls while the start-up sign-in is slow -> exactly 1 sign-in, 100 x 200', async () => {
    const { sim, gw } = await start(
      { EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: DEMO_ACCOUNT.password },
      { faults: { [SIGNIN]: { latencyMs: 300 } } },
    );
    const results = await runPool(100, 100, () => getAll(gw.url));
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 100 });
    expect(signIns(sim)).toBe(1);
  });

  it('20 concurrent POST /api/auth next to the service account: the upstream never sees two sign-ins at once', async () => {
    up = await startScriptedUpstream();
    let current = 0;
    let most = 0;
    up.onSignIn = (req, res) => {
      most = Math.max(most, ++current);
      setTimeout(() => {
        current--;
        up!.defaults.signIn(req, res);
      }, 20);
    };
    gw = await startGateway(up.url, { env: { ...ENV, EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw' } });
    const g = gw;
    const results = await runPool(20, 20, (i) => postJson(g.url, '/api/auth', { username: `user${i}@example.com`, password: 'pw' }));
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 20 });
    expect(up.signIns.length).toBe(21); // start-up + 20
    expect(most).toBe(1);
  });

  it('a sign-in the upstream never answers does not block the others forever: it times out (504) and the next goes', async () => {
    up = await startScriptedUpstream();
    const hung: http.ServerResponse[] = [];
    up.onSignIn = (req, res) => (up!.signIns.length === 1 ? hung.push(res) : up!.defaults.signIn(req, res));
    gw = await startGateway(up.url, { env: { ...ENV, EVERCYCLE_TIMEOUT_MS: '300', EVERCYCLE_RETRY_ATTEMPTS: '1' } });
    const first = postJson(gw.url, '/api/auth', { username: 'a@example.com', password: 'pw' });
    await waitUntil(() => up!.signIns.length === 1, 'the first sign-in');
    const second = postJson(gw.url, '/api/auth', { username: 'b@example.com', password: 'pw' });
    expect((await first).status).toBe(504);
    expect((await second).status).toBe(200);
    for (const res of hung) res.destroy();
  });
});

describe('back-off and the admin', () => {
  it('a successful POST /api/auth lifts the back-off: calls work at once', async () => {
    const { sim, gw } = await start({ ...WRONG, EVERCYCLE_SIGNIN_BACKOFF_MS: '60000' });
    await waitUntil(() => signIns(sim) === 1, 'the start-up sign-in');
    expect((await getAll(gw.url)).status).toBe(401);
    expect(signIns(sim)).toBe(1);
    expect((await postJson(gw.url, '/api/auth', sim.demo)).status).toBe(200);
    expect((await rawRequest(gw.url, 'GET', '/api/get-all?per_page=1')).status).toBe(200);
    expect(signIns(sim)).toBe(2);
  });
});
