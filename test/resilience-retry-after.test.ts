// Retry-After from the upstream (429, and 503): when it fits in the retry budget the
// gateway waits that long and tries again (the client only sees the success); when it
// does not, the client is answered at once with the header passed on, instead of having
// its connection held. Both forms: delta seconds and an HTTP date.
import { afterEach, describe, expect, it } from 'vitest';
import { timed } from './helpers/load.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';
import type { FaultSpec } from '../src/simulator/index.js';

const ASSET = 'GET /v1/asset/:id';
const ENV = { EVERCYCLE_BREAKER_FAILURES: '1000000', EVERCYCLE_REFRESH_AHEAD_S: '0' };

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function signedIn(env: Record<string, string> = {}): Promise<Stack> {
  stack = await startStack({ env: { ...ENV, ...env } });
  await signIn(stack);
  stack.sim.resetCalls();
  return stack;
}

const calls = (s: Stack): number => s.sim.calls()[ASSET] ?? 0;

/** One GET through the gateway while `spec` is in force for its first upstream try only. */
async function faultedOnce(s: Stack, spec: FaultSpec): Promise<{ res: RawResponse; ms: number }> {
  s.sim.faults.set(ASSET, spec);
  return timed(async () => {
    const pending = rawRequest(s.url, 'GET', '/api/get-asset-id/5');
    // The upstream heals as soon as it has answered once (the wait is a second long).
    while (calls(s) < 1) await new Promise((r) => setTimeout(r, 2));
    s.sim.faults.clear(ASSET);
    return pending;
  }).then(({ value, ms }) => ({ res: value, ms }));
}

describe('Retry-After within the budget: wait, then succeed', () => {
  it('429 with Retry-After: 1 -> the gateway waits about a second and answers 200', async () => {
    const s = await signedIn();
    const { res, ms } = await faultedOnce(s, { rateLimitRate: 1, retryAfter: 1 });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'success', data: { id: 5 } });
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(3000);
    expect(s.sim.faultCounts()[ASSET]).toMatchObject({ rateLimited: 1, real: 1 });
    expect(calls(s)).toBe(2);
    console.info(`[figures] 429 + Retry-After: 1 -> 200 after ${Math.round(ms)} ms`);
  });

  it('429 with Retry-After as an HTTP date about a second ahead -> waits until then, answers 200', async () => {
    const s = await signedIn();
    // The simulator rounds the date up to the next whole second: 1 to 2 s ahead.
    const { res, ms } = await faultedOnce(s, { rateLimitRate: 1, retryAfter: 'date', retryAfterS: 1 });
    expect(res.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3500);
    expect(calls(s)).toBe(2);
    console.info(`[figures] 429 + Retry-After: <date +1 s> -> 200 after ${Math.round(ms)} ms`);
  });

  it('503 with Retry-After: 1 -> waits about a second too (not the short backoff)', async () => {
    const s = await signedIn();
    const { res, ms } = await faultedOnce(s, { errorRate: 1, errorStatuses: [503], retryAfter: 1 });
    expect(res.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(calls(s)).toBe(2);
  });
});

describe('Retry-After beyond the budget: answered at once, header passed on', () => {
  it('429 with Retry-After: 120 -> 429 at once with Retry-After: 120, one upstream call', async () => {
    const s = await signedIn();
    s.sim.faults.set(ASSET, { rateLimitRate: 1, retryAfter: 120 });
    const { value: res, ms } = await timed(() => rawRequest(s.url, 'GET', '/api/get-asset-id/5'));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('120');
    expect(res.json).toMatchObject({ status: 'error', upstream_status: 429 });
    expect(ms).toBeLessThan(900);
    expect(calls(s)).toBe(1);
    console.info(`[figures] 429 + Retry-After: 120 -> 429 after ${Math.round(ms)} ms`);
  });

  it('429 with an HTTP-date Retry-After 2 minutes ahead -> 429 at once with that date', async () => {
    const s = await signedIn();
    s.sim.faults.set(ASSET, { rateLimitRate: 1, retryAfter: 'date', retryAfterS: 120 });
    const { value: res, ms } = await timed(() => rawRequest(s.url, 'GET', '/api/get-asset-id/5'));
    expect(res.status).toBe(429);
    const date = res.headers['retry-after']!;
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Date.parse(date) - Date.now()).toBeGreaterThan(110_000);
    expect(ms).toBeLessThan(900);
    expect(calls(s)).toBe(1);
  });

  it('a Retry-After that does not fit in EVERCYCLE_RETRY_BUDGET_MS is passed on at once', async () => {
    const s = await signedIn({ EVERCYCLE_RETRY_BUDGET_MS: '500' });
    s.sim.faults.set(ASSET, { rateLimitRate: 1, retryAfter: 1 });
    const { value: res, ms } = await timed(() => rawRequest(s.url, 'GET', '/api/get-asset-id/5'));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(ms).toBeLessThan(900);
    expect(calls(s)).toBe(1);
  });

  it('503 with Retry-After: 120 -> at once, still 503, with Retry-After: 120 passed on', async () => {
    const s = await signedIn();
    s.sim.faults.set(ASSET, { errorRate: 1, errorStatuses: [503], retryAfter: 120 });
    const { value: res, ms } = await timed(() => rawRequest(s.url, 'GET', '/api/get-asset-id/5'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('120');
    expect(res.json).toMatchObject({ status: 'error', upstream_status: 503 });
    expect(ms).toBeLessThan(900);
    expect(calls(s)).toBe(1);
  });
});
