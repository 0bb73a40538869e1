// Refresh protection: after a refresh fails for want of an answer (5xx, timeout) no new
// attempt is made for EVERCYCLE_REFRESH_COOLDOWN_MS, so a broken refresh endpoint sees a
// few calls, not one per request; clients get a 5xx JSON with Retry-After meanwhile; a
// token that has not actually expired keeps being used; once the endpoint recovers, the
// next attempt succeeds.
// Time is a hand-moved clock shared by gateway and simulator: "2 s of steady traffic"
// is 100 calls 20 ms apart on that clock, the same every run.
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from './helpers/clock.js';
import { tally } from './helpers/load.js';
import { rawRequest } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';
import { count, getAll, health, LIST, REFRESH } from './helpers/tokens.js';

const TTL_S = 3600;
const COOLDOWN_MS = 500;
const ENV = { EVERCYCLE_REFRESH_COOLDOWN_MS: String(COOLDOWN_MS), EVERCYCLE_REFRESH_AHEAD_S: '0', EVERCYCLE_BREAKER_FAILURES: '1000000' };

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function signedIn(env: Record<string, string> = {}): Promise<{ s: Stack; clock: ManualClock }> {
  const clock = manualClock();
  stack = await startStack({ now: clock.now, env: { ...ENV, ...env }, simulator: { now: clock.now, tokenTtlS: TTL_S } });
  await signIn(stack);
  stack.sim.resetCalls();
  return { s: stack, clock };
}

/** `n` calls, `stepMs` apart on the clock. */
async function steadyTraffic(s: Stack, clock: ManualClock, n: number, stepMs: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(await getAll(s.url));
    clock.advance(stepMs);
  }
  return out;
}

describe('a failing refresh endpoint, token expired', () => {
  it('2 s of steady traffic with a 500 ms cooldown -> 4 refresh attempts, every call a 5xx JSON, then recovery', async () => {
    const { s, clock } = await signedIn();
    s.sim.faults.set(REFRESH, { errorRate: 1, errorStatuses: [500] });
    clock.advanceS(TTL_S);

    const results = await steadyTraffic(s, clock, 100, 20);
    // Attempts at 0, 500, 1000 and 1500 ms: duration / cooldown, the first included.
    const refreshes = count(s.sim.calls(), REFRESH);
    expect(refreshes).toBe(4);
    expect(tally(results.map((r) => r.status))).toEqual({ 502: 4, 503: 96 });
    for (const res of results) expect(res.json).toMatchObject({ status: 'error', message: expect.stringMatching(/refresh failed/) });
    const cooling = results.filter((r) => r.status === 503);
    for (const res of cooling) {
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json.message).toMatch(/next attempt in 1 s/);
    }
    // Nothing went upstream with the expired token.
    expect(count(s.sim.calls(), LIST)).toBe(0);
    expect((await health(s.url)).status).toBe('ok');
    console.info(`[figures] refresh endpoint failing, 100 calls over 2 s (cooldown ${COOLDOWN_MS} ms): ${refreshes} refresh calls`);

    // The endpoint recovers: the first call after the cooldown refreshes and succeeds.
    s.sim.faults.clear();
    clock.advance(COOLDOWN_MS);
    const back = await getAll(s.url);
    expect(back.status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(5);
    expect(count(s.sim.calls(), LIST)).toBe(1);
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), REFRESH)).toBe(5);
  });

  it('a refresh that times out -> 504, then 504 with Retry-After during the cooldown, without calling', async () => {
    const { s, clock } = await signedIn({ EVERCYCLE_TIMEOUT_MS: '200' });
    s.sim.faults.set(REFRESH, { latencyMs: 2000 });
    clock.advanceS(TTL_S);
    const first = await getAll(s.url);
    expect(first.status).toBe(504);
    expect(first.json).toMatchObject({ status: 'error', message: expect.stringMatching(/token refresh timed out/) });
    const next = await getAll(s.url);
    expect(next.status).toBe(504);
    expect(next.headers['retry-after']).toBe('1');
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
  });

  it('without a cooldown (EVERCYCLE_REFRESH_COOLDOWN_MS=0) every call tries again: what the cooldown saves', async () => {
    const { s, clock } = await signedIn({ EVERCYCLE_REFRESH_COOLDOWN_MS: '0' });
    s.sim.faults.set(REFRESH, { errorRate: 1, errorStatuses: [500] });
    clock.advanceS(TTL_S);
    await steadyTraffic(s, clock, 20, 20);
    expect(count(s.sim.calls(), REFRESH)).toBe(20);
  });
});

describe('a failing refresh endpoint, token within the skew but not expired', () => {
  it('calls keep succeeding with the current token; one refresh attempt per cooldown; recovery replaces the token', async () => {
    const { s, clock } = await signedIn();
    s.sim.faults.set(REFRESH, { errorRate: 1, errorStatuses: [500] });
    clock.advanceS(TTL_S - 30); // the default skew is 60 s: stale for the gateway, still accepted upstream

    const results = await steadyTraffic(s, clock, 50, 20);
    expect(tally(results.map((r) => r.status))).toEqual({ 200: 50 });
    expect(count(s.sim.calls(), REFRESH)).toBe(2); // at 0 and 500 ms
    expect(count(s.sim.calls(), LIST)).toBe(50);
    expect(s.logs.entries().some((e) => e.msg === 'token renewal failed; using the current token until it expires')).toBe(true);

    // Once it has actually expired, calls fail (5xx, not garbage sent upstream).
    clock.advanceS(30);
    const expired = await getAll(s.url);
    expect(expired.status).toBeGreaterThanOrEqual(500);
    expect(expired.json.status).toBe('error');
    expect(count(s.sim.calls(), LIST)).toBe(50);

    s.sim.faults.clear();
    clock.advance(COOLDOWN_MS);
    expect((await getAll(s.url)).status).toBe(200);
    expect((await health(s.url)).authenticated).toBe(true);
    expect((await rawRequest(s.url, 'GET', '/ready')).status).toBe(200);
  });
});

describe('a token the upstream refused is not presented again during the cooldown', () => {
  it('revoked token + failing refresh: one data call, then 503s without calling Evercycle (review finding)', async () => {
    const { s, clock } = await signedIn();
    s.sim.faults.set('POST /v1/auth/refresh', { errorRate: 1, errorStatuses: [500] });
    s.sim.revokeAllTokens();
    const results = await steadyTraffic(s, clock, 20, 10); // 200 ms, inside one cooldown
    expect(results[0]!.status).toBe(502);
    expect(tally(results.slice(1).map((r) => r.status))).toEqual({ 503: 19 });
    expect(count(s.sim.calls(), LIST)).toBe(1);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
  });
});
