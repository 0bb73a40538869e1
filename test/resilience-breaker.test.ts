// The circuit breaker: after EVERCYCLE_BREAKER_FAILURES consecutive upstream failures
// (5xx or no answer) calls are answered 503 + Retry-After at once without calling
// Evercycle, /ready answers 503 and /health says "degraded" (still 200); after
// EVERCYCLE_BREAKER_OPEN_MS one probe goes through, and its result closes or reopens it.
import { afterEach, describe, expect, it } from 'vitest';
import { runPool, sleep, timed } from './helpers/load.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { signIn, startGateway, startStack, type Stack, type StartedGateway } from './helpers/stack.js';
import { waitUntil } from './helpers/tokens.js';

const LIST = 'GET /v1/asset';
const OPEN_MS = 800;
/** One try per call, so each failed call is exactly one breaker failure. */
const ENV = { EVERCYCLE_BREAKER_FAILURES: '3', EVERCYCLE_BREAKER_OPEN_MS: String(OPEN_MS), EVERCYCLE_RETRY_ATTEMPTS: '1', EVERCYCLE_REFRESH_AHEAD_S: '0' };

let stack: Stack | undefined;
let gw: StartedGateway | undefined;
let upstream: RecordingUpstream | undefined;
afterEach(async () => {
  await stack?.close();
  await gw?.close();
  await upstream?.close();
  stack = gw = upstream = undefined;
});

async function signedIn(env: Record<string, string> = {}): Promise<Stack> {
  stack = await startStack({ env: { ...ENV, ...env } });
  await signIn(stack);
  stack.sim.resetCalls();
  return stack;
}

const list = (url: string): Promise<RawResponse> => rawRequest(url, 'GET', '/api/get-all?per_page=1');
const listCalls = (s: Stack): number => s.sim.calls()[LIST] ?? 0;

function expectOpenAnswer(res: RawResponse): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/calls are paused/) });
}

async function expectOpen(url: string): Promise<void> {
  const health = await rawRequest(url, 'GET', '/health');
  expect(health.status).toBe(200);
  expect(health.json).toMatchObject({ status: 'degraded', circuit: 'open' });
  const ready = await rawRequest(url, 'GET', '/ready');
  expect(ready.status).toBe(503);
  expect(Number(ready.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(ready.json).toMatchObject({ status: 'error', circuit: 'open' });
}

async function expectClosed(url: string): Promise<void> {
  const health = await rawRequest(url, 'GET', '/health');
  expect(health.status).toBe(200);
  expect(health.json).toMatchObject({ status: 'ok', circuit: 'closed' });
  const ready = await rawRequest(url, 'GET', '/ready');
  expect(ready.status).toBe(200);
  expect(ready.json).toMatchObject({ status: 'ok', circuit: 'closed' });
}

describe('upstream answering 503 to everything', () => {
  it('opens after 3 failures, answers fast without calling upstream, then one probe closes it again', async () => {
    const s = await signedIn();
    await expectClosed(s.url);
    s.sim.faults.set('*', { errorRate: 1 });

    for (let i = 0; i < 3; i++) {
      const res = await list(s.url);
      expect(res.status).toBe(502);
      expect(res.json).toMatchObject({ upstream_status: 503 });
    }
    expect(listCalls(s)).toBe(3);
    const openedAt = Date.now();
    await expectOpen(s.url);

    // While open: 20 calls, each answered at once, none reaching the upstream.
    const { value: paused, ms } = await timed(() => runPool(20, 5, () => list(s.url)));
    for (const res of paused) expectOpenAnswer(res);
    expect(ms).toBeLessThan(OPEN_MS - 200);
    expect(listCalls(s)).toBe(3);
    console.info(`[figures] breaker open: 20 calls answered 503 in ${Math.round(ms)} ms, 0 upstream calls`);

    // The upstream recovers; after the open period /ready invites traffic again (half-open).
    s.sim.faults.clear();
    await waitUntil(() => Date.now() - openedAt >= OPEN_MS, 'the open period', 2000);
    let ready: RawResponse;
    do ready = await rawRequest(s.url, 'GET', '/ready');
    while (ready.status !== 200 && Date.now() - openedAt < OPEN_MS + 1500);
    expect(ready.status).toBe(200);
    expect(ready.json.circuit).toBe('half-open');

    const probe = await list(s.url);
    expect(probe.status).toBe(200);
    expect(listCalls(s)).toBe(4);
    await expectClosed(s.url);
    for (const res of await runPool(10, 5, () => list(s.url))) expect(res.status).toBe(200);
    expect(listCalls(s)).toBe(14);
  });

  it('a failing probe reopens the circuit for another period', async () => {
    const s = await signedIn();
    s.sim.faults.set('*', { errorRate: 1 });
    for (let i = 0; i < 3; i++) await list(s.url);
    expectOpenAnswer(await list(s.url));
    await sleep(OPEN_MS + 50);

    const probe = await list(s.url);
    expect(probe.status).toBe(502); // the probe went through, and failed
    expect(listCalls(s)).toBe(4);
    expectOpenAnswer(await list(s.url)); // open again at once: no further call
    expect(listCalls(s)).toBe(4);
    await expectOpen(s.url);
  });

  it('only one probe at a time: calls arriving while it is in flight wait for its verdict', async () => {
    const s = await signedIn();
    s.sim.faults.set('*', { errorRate: 1 });
    for (let i = 0; i < 3; i++) await list(s.url);
    await sleep(OPEN_MS + 50);
    s.sim.faults.set('*', { latencyMs: 300 });

    const burst = runPool(5, 5, () => list(s.url));
    await waitUntil(() => listCalls(s) === 4, 'the probe');
    await sleep(100);
    expect(listCalls(s)).toBe(4); // 3 failures + the probe, nobody else while it is out
    const results = await burst;
    for (const res of results) expect(res.status).toBe(200);
    expect(listCalls(s)).toBe(8);
  });

  it('4xx answers are not failures: 10 x 404 in a row leave the circuit closed', async () => {
    const s = await signedIn();
    for (let i = 0; i < 10; i++) expect((await rawRequest(s.url, 'GET', '/api/get-asset-id/999999')).status).toBe(404);
    await expectClosed(s.url);
  });
});

describe('upstream down (nothing listening)', () => {
  it('refused connections open the circuit; once the upstream is back on its port, the probe closes it', async () => {
    upstream = await startRecordingUpstream();
    const port = Number(new URL(upstream.url).port);
    gw = await startGateway(upstream.url, { env: { ...ENV, EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw' } });
    expect((await list(gw.url)).status).toBe(200);
    await upstream.close();
    const downAt = upstream.requests.length;

    for (let i = 0; i < 3; i++) {
      const res = await list(gw.url);
      expect(res.status).toBe(502);
      expect(res.json.message).toContain('ECONNREFUSED');
    }
    const { value: paused, ms } = await timed(() => list(gw!.url));
    expectOpenAnswer(paused);
    expect(ms).toBeLessThan(300);
    await expectOpen(gw.url);

    upstream = await startRecordingUpstream({ port });
    await sleep(OPEN_MS + 50);
    const probe = await list(gw.url);
    expect(probe.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(downAt).toBe(1);
    await expectClosed(gw.url);
  });
});
