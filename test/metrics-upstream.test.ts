// The upstream as the gateway sees it: every try (retries included) with its latency and
// outcome, retries counted apart, and the circuit breaker's state. The counts must match
// what the simulator saw, try for try.
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../src/simulator/index.js';
import { scrape } from './helpers/metrics.js';
import { rawRequest } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';
import { sleep } from './helpers/load.js';

const UPSTREAM = 'evercycle_gateway_upstream_request_duration_seconds';
const RETRIES = 'evercycle_gateway_upstream_retries_total';
const REQUESTS = 'evercycle_gateway_http_requests_total';
const CIRCUIT = 'evercycle_gateway_circuit_state';
const OPENS = 'evercycle_gateway_circuit_opens_total';
const LIST = 'GET /v1/asset';
/** The operation label of proxied tries: the API name. */
const PROXIED = 'get-all';

/** Short backoffs, no breaker, no client rate limit, no background refresh. */
const FAST_RETRIES = {
  RATE_LIMIT_MAX: '0',
  EVERCYCLE_RETRY_BASE_MS: '5',
  EVERCYCLE_RETRY_MAX_MS: '20',
  EVERCYCLE_BREAKER_FAILURES: '1000000',
  EVERCYCLE_REFRESH_AHEAD_S: '0',
};

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function signedIn(env: Record<string, string>, simulator: SimulatorOptions = {}): Promise<Stack> {
  stack = await startStack({ env: { ...FAST_RETRIES, ...env }, simulator });
  await signIn(stack);
  stack.sim.resetCalls();
  return stack;
}

const list = (s: Stack) => rawRequest(s.url, 'GET', '/api/get-all?per_page=1');

describe('tries and retries', () => {
  it('every upstream 503 retried: the 5xx tries and the retries equal what the simulator saw', async () => {
    const s = await signedIn({ EVERCYCLE_RETRY_ATTEMPTS: '3' }, { faults: { [LIST]: { errorRate: 1, errorStatuses: [503] } } });
    for (let i = 0; i < 4; i++) expect((await list(s)).status).toBe(502);
    const calls = s.sim.calls()[LIST]!;
    expect(calls).toBe(12);
    const m = await scrape(s.url);
    expect(m.value(`${UPSTREAM}_count`, { operation: PROXIED, outcome: '5xx' })).toBe(calls);
    expect(m.value(RETRIES, { operation: PROXIED })).toBe(calls - 4);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'GET', status: '502' })).toBe(4);
  });

  it('a flaky upstream (seeded 25% 503): 2xx tries = real answers, 5xx tries = injected errors, retries = tries - calls', async () => {
    const s = await signedIn({ EVERCYCLE_RETRY_ATTEMPTS: '6' }, { faultSeed: 7, faults: { [LIST]: { errorRate: 0.25 } } });
    const CALLS = 40;
    for (let i = 0; i < CALLS; i++) await list(s);
    const counts = s.sim.faultCounts()[LIST]!;
    expect(counts.errors).toBeGreaterThan(0);
    const m = await scrape(s.url);
    expect(m.value(`${UPSTREAM}_count`, { operation: PROXIED, outcome: '2xx' })).toBe(counts.real);
    expect(m.value(`${UPSTREAM}_count`, { operation: PROXIED, outcome: '5xx' })).toBe(counts.errors);
    expect(m.value(RETRIES, { operation: PROXIED })).toBe(counts.real + counts.errors - CALLS);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'GET', status: '200' })).toBe(counts.real);
  });

  it('no answer in time is a `timeout` try, and its latency is observed', async () => {
    const s = await signedIn({ EVERCYCLE_RETRY_ATTEMPTS: '1', EVERCYCLE_TIMEOUT_MS: '100' }, { faults: { [LIST]: { latencyMs: 1000 } } });
    expect((await list(s)).status).toBe(504);
    const m = await scrape(s.url);
    expect(m.value(`${UPSTREAM}_count`, { operation: PROXIED, outcome: 'timeout' })).toBe(1);
    expect(m.value(`${UPSTREAM}_sum`, { operation: PROXIED, outcome: 'timeout' })).toBeGreaterThanOrEqual(0.09);
    expect(m.value(`${UPSTREAM}_bucket`, { operation: PROXIED, outcome: 'timeout', le: '0.05' })).toBe(0);
    expect(m.value(`${UPSTREAM}_bucket`, { operation: PROXIED, outcome: 'timeout', le: '1' })).toBe(1);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'GET', status: '504' })).toBe(1);
  });

  it('a dropped connection is an `unavailable` try; an upstream 404 a `4xx` one', async () => {
    const s = await signedIn({ EVERCYCLE_RETRY_ATTEMPTS: '1' }, { faults: { [LIST]: { dropRate: 1 } } });
    expect((await list(s)).status).toBe(502);
    expect((await rawRequest(s.url, 'GET', '/api/get-asset-id/999999')).status).toBe(404);
    const m = await scrape(s.url);
    expect(m.value(`${UPSTREAM}_count`, { operation: PROXIED, outcome: 'unavailable' })).toBe(1);
    expect(m.value(`${UPSTREAM}_count`, { operation: 'get-asset-id', outcome: '4xx' })).toBe(1);
    expect(m.series(`${UPSTREAM}_count`, { operation: PROXIED, outcome: '4xx' })).toEqual([]);
    expect(m.series(RETRIES)).toEqual([]);
  });

  it("the gateway's own sign-in is an operation of its own", async () => {
    const s = await signedIn({});
    const m = await scrape(s.url);
    expect(m.value(`${UPSTREAM}_count`, { operation: 'auth:signin', outcome: '2xx' })).toBe(1);
    expect(m.sum(`${UPSTREAM}_count`)).toBe(1);
  });
});

describe('circuit state', () => {
  const OPEN_MS = 600;
  it('closed, then open after the failures (calls no longer go upstream), then half-open when a probe may go', async () => {
    const s = await signedIn(
      { EVERCYCLE_RETRY_ATTEMPTS: '1', EVERCYCLE_BREAKER_FAILURES: '3', EVERCYCLE_BREAKER_OPEN_MS: String(OPEN_MS) },
      { faults: { [LIST]: { errorRate: 1, errorStatuses: [500] } } },
    );
    const state = async (): Promise<Record<string, number | undefined>> => {
      const m = await scrape(s.url);
      return Object.fromEntries(['closed', 'open', 'half-open'].map((st) => [st, m.value(CIRCUIT, { state: st })]));
    };
    expect(await state()).toEqual({ closed: 1, open: 0, 'half-open': 0 });
    for (let i = 0; i < 3; i++) expect((await list(s)).status).toBe(502);
    expect(await state()).toEqual({ closed: 0, open: 1, 'half-open': 0 });

    // Refused at once: no try goes upstream.
    expect((await list(s)).status).toBe(503);
    const m = await scrape(s.url);
    expect(m.value(`${UPSTREAM}_count`, { operation: PROXIED, outcome: '5xx' })).toBe(3);
    expect(s.sim.calls()[LIST]).toBe(3);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'GET', status: '503' })).toBe(1);

    expect(m.value(OPENS)).toBe(1);

    await sleep(OPEN_MS + 50);
    expect(await state()).toEqual({ closed: 0, open: 0, 'half-open': 1 });
    // The probe fails: open again, counted again.
    expect((await list(s)).status).toBe(502);
    expect(await state()).toEqual({ closed: 0, open: 1, 'half-open': 0 });
    expect((await scrape(s.url)).value(OPENS)).toBe(2);
  });
});
