// A POST is never sent twice. Dropped connections during POST /api/create reach the
// simulator exactly once per client request (a retry of a create the upstream may have
// run would create the asset twice), and the client is told clearly (502 JSON) that its
// call did not go through. Only a POST that certainly never left (connection refused)
// is tried again.
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';
import { runPool, tally } from './helpers/load.js';
import { freePort } from './helpers/ports.js';
import { rawRequest } from './helpers/raw-http.js';
import { signIn, startGateway, startStack, type Stack, type StartedGateway } from './helpers/stack.js';
import { postJson, waitUntil } from './helpers/tokens.js';

const CREATE = 'POST /v1/asset/create';
const SIGNIN = 'POST /v1/auth/signin';
/** The breaker would open after 5 drops in a row and answer 503 without calling: not what these tests look at. */
const ENV = { EVERCYCLE_BREAKER_FAILURES: '1000000', EVERCYCLE_REFRESH_AHEAD_S: '0', EVERCYCLE_RETRY_BASE_MS: '20', EVERCYCLE_RETRY_MAX_MS: '50' };

let stack: Stack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function signedIn(simulator: SimulatorOptions = {}): Promise<Stack> {
  stack = await startStack({ env: ENV, simulator });
  await signIn(stack);
  stack.sim.resetCalls();
  return stack;
}

const creates = (s: Stack): number => s.sim.calls()[CREATE] ?? 0;

/** Assets the simulator holds (the demo account sees every organization). */
async function assetCount(s: Stack): Promise<number> {
  const res = await rawRequest(s.url, 'GET', '/api/get-all?per_page=1');
  expect(res.status).toBe(200);
  return Number(res.headers['x-total-count']);
}

function create(s: Stack, i: number) {
  return postJson(s.url, '/api/create', { serial_number: `POST-ONCE-${i}`, asset_type_id: 1 });
}

function expectNotDelivered(res: { status: number; json: any }): void {
  expect(res.status).toBe(502);
  expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/^Evercycle API unavailable: /) });
}

describe('dropped connections during POST /api/create', () => {
  it('every connection dropped before the headers: 20 creates -> 20 upstream calls, 20 x 502 JSON, nothing created', async () => {
    const s = await signedIn();
    const before = await assetCount(s);
    s.sim.faults.set(CREATE, { dropRate: 1, dropWhen: 'before-headers' });
    const results = await runPool(20, 5, (i) => create(s, i));
    for (const res of results) expectNotDelivered(res);
    expect(creates(s)).toBe(20);
    expect(s.sim.faultCounts()[CREATE]).toMatchObject({ dropped: 20, real: 0 });
    s.sim.faults.clear();
    expect(await assetCount(s)).toBe(before);
  });

  it('30% dropped (seeded): 60 creates -> exactly 60 upstream calls; each 201 is one asset, each drop a 502', async () => {
    const s = await signedIn({ faultSeed: 7 });
    const before = await assetCount(s);
    s.sim.faults.set(CREATE, { dropRate: 0.3 });
    const results = await runPool(60, 6, (i) => create(s, i));
    const statuses = tally(results.map((r) => r.status));
    const counts = s.sim.faultCounts()[CREATE]!;
    expect(creates(s)).toBe(60);
    expect(counts.dropped).toBeGreaterThan(5);
    expect(statuses).toEqual({ 201: counts.real, 502: counts.dropped });
    for (const res of results) if (res.status === 502) expectNotDelivered(res);
    s.sim.faults.clear();
    expect(await assetCount(s)).toBe(before + counts.real);
    console.info(`[figures] 60 creates at 30% drops: ${creates(s)} upstream calls, statuses ${JSON.stringify(statuses)}`);
  });

  it('dropped after the headers (the create DID run upstream): 10 creates -> 10 calls, 10 x 502, 10 assets, never a second create', async () => {
    const s = await signedIn();
    const before = await assetCount(s);
    s.sim.faults.set(CREATE, { dropRate: 1, dropWhen: 'after-headers' });
    const results = await runPool(10, 5, (i) => create(s, i));
    for (const res of results) expectNotDelivered(res);
    expect(creates(s)).toBe(10);
    expect(s.sim.faultCounts()[CREATE]).toMatchObject({ real: 10, droppedAfterHeaders: 10 });
    s.sim.faults.clear();
    // Each of them created exactly one asset: a retry would have made two.
    expect(await assetCount(s)).toBe(before + 10);
  });
});

describe('retryable statuses do not make a POST retryable', () => {
  it.each([502, 503, 504] as const)('POST answered %i -> exactly one upstream call, 502 to the client', async (status) => {
    const s = await signedIn({ faults: { [CREATE]: { errorRate: 1, errorStatuses: [status] } } });
    const res = await create(s, 1);
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ status: 'error', upstream_status: status });
    expect(creates(s)).toBe(1);
  });

  it('POST answered 429 with Retry-After: 1 -> one call, 429 passed on at once (no wait, no second try)', async () => {
    const s = await signedIn({ faults: { [CREATE]: { rateLimitRate: 1, retryAfter: 1 } } });
    const started = Date.now();
    const res = await create(s, 1);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(Date.now() - started).toBeLessThan(900);
    expect(creates(s)).toBe(1);
  });
});

describe('a POST that never left', () => {
  let gw: StartedGateway | undefined;
  let sim: Simulator | undefined;
  afterEach(async () => {
    await gw?.close();
    await sim?.close();
    gw = undefined;
    sim = undefined;
  });

  it('connection refused: the POST is tried again, and once the upstream is up it arrives exactly once', async () => {
    const port = await freePort(); // nothing listens there yet
    gw = await startGateway(`http://127.0.0.1:${port}`, { env: { ...ENV, EVERCYCLE_RETRY_ATTEMPTS: '10', EVERCYCLE_RETRY_BASE_MS: '100', EVERCYCLE_RETRY_MAX_MS: '100' } });
    const demo = createSimulator().demo;
    const pending = postJson(gw.url, '/api/auth-signin', demo);
    const g = gw;
    await waitUntil(() => g.logs.entries().some((e) => e.msg === 'retrying upstream call'), 'a first refused try');
    expect(g.logs.entries().find((e) => e.msg === 'retrying upstream call')).toMatchObject({ cause: expect.stringContaining('ECONNREFUSED') });
    sim = createSimulator();
    await sim.listen({ port });

    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.json.data.AuthenticationResult.AccessToken).toEqual(expect.any(String));
    expect(sim.calls()[SIGNIN]).toBe(1);
  });

  it('upstream down for good: the POST fails with 502 JSON after EVERCYCLE_RETRY_ATTEMPTS refused tries', async () => {
    const port = await freePort();
    gw = await startGateway(`http://127.0.0.1:${port}`, { env: { ...ENV, EVERCYCLE_RETRY_ATTEMPTS: '4' } });
    const res = await postJson(gw.url, '/api/auth-signin', { username: 'u@example.com', password: 'p' });
    expectNotDelivered(res);
    expect(res.json.message).toContain('ECONNREFUSED');
    expect(gw.logs.entries().filter((e) => e.msg === 'retrying upstream call')).toHaveLength(3);
  });
});
