// Retries of idempotent calls: a flaky upstream (seeded 10% of GETs answered 503) is
// invisible to clients; what is not worth retrying (500, 404, a per-API `retry: false`)
// goes upstream exactly once; retries stop after EVERCYCLE_RETRY_ATTEMPTS tries.
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { runPool, tally } from './helpers/load.js';
import { rawRequest } from './helpers/raw-http.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream } from './helpers/scripted-upstream.js';
import { signIn, startGateway, startStack, type Stack, type StackOptions } from './helpers/stack.js';
import { postJson } from './helpers/tokens.js';

const ASSET = 'GET /v1/asset/:id';
/**
 * Short backoffs so retries cost milliseconds; a breaker that stays out of the way (it has
 * its own tests); no client rate limit (1,000 calls from one client would exceed it).
 */
const FAST_RETRIES = {
  RATE_LIMIT_MAX: '0',
  EVERCYCLE_RETRY_BASE_MS: '20',
  EVERCYCLE_RETRY_MAX_MS: '100',
  EVERCYCLE_BREAKER_FAILURES: '1000000',
  EVERCYCLE_REFRESH_AHEAD_S: '0',
};

let stack: Stack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function signedIn(env: Record<string, string>, simulator: StackOptions['simulator'] = {}): Promise<Stack> {
  stack = await startStack({ env: { ...FAST_RETRIES, ...env }, simulator });
  await signIn(stack);
  stack.sim.resetCalls();
  return stack;
}

const calls = (s: Stack, key = ASSET): number => s.sim.calls()[key] ?? 0;

describe('10% of upstream GETs answer 503', () => {
  it('1,000 GETs at concurrency 20 all succeed for the client; the simulator saw the retries', async () => {
    // At 10% a call fails all of the default 3 tries with p = 1e-3: about one of 1,000
    // does (seen: 0 to 3 per run). Six tries make it 1e-6 per call, so "all succeed"
    // holds in practice. The breaker is off here: five 503s in a row somewhere among the
    // ~1,100 tries (p = 1e-5 each, about 1% per run) would open it with the default
    // EVERCYCLE_BREAKER_FAILURES=5 and fail every call for EVERCYCLE_BREAKER_OPEN_MS.
    const s = await signedIn({ EVERCYCLE_RETRY_ATTEMPTS: '6' }, { faultSeed: 20261203, faults: { [ASSET]: { errorRate: 0.1 } } });
    const statuses = await runPool(1000, 20, async (i) => {
      const res = await fetch(`${s.url}/api/get-asset-id/${(i % 300) + 1}`);
      const body = (await res.json()) as { status: string; data?: { id?: number } };
      expect(body.status, JSON.stringify(body)).toBe('success');
      expect(body.data?.id).toBe((i % 300) + 1);
      return res.status;
    });

    expect(tally(statuses)).toEqual({ 200: 1000 });
    const counts = s.sim.faultCounts()[ASSET]!;
    // Every 503 was retried: exactly 1,000 real answers, and one extra call per injected error.
    expect(counts.real).toBe(1000);
    expect(counts.errors).toBeGreaterThan(50);
    expect(calls(s)).toBe(1000 + counts.errors);
    const retryLines = s.logs.entries().filter((e) => e.msg === 'retrying upstream call');
    expect(retryLines).toHaveLength(counts.errors);
    console.info(`[figures] 1,000 GETs at 10% 503: ${calls(s)} upstream calls, ${counts.errors} retried 503s`);
  });
});

describe('what is not retried', () => {
  it('an upstream 500 goes upstream once (502 to the client)', async () => {
    const s = await signedIn({}, { faults: { [ASSET]: { errorRate: 1, errorStatuses: [500] } } });
    const res = await rawRequest(s.url, 'GET', '/api/get-asset-id/1');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ status: 'error', upstream_status: 500 });
    expect(calls(s)).toBe(1);
  });

  it('an upstream 404 goes upstream once (404 to the client)', async () => {
    const s = await signedIn({});
    const res = await rawRequest(s.url, 'GET', '/api/get-asset-id/999999');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ status: 'error', upstream_status: 404 });
    expect(calls(s)).toBe(1);
  });

  it('per-API `retry: false` -> one call even for a 503; `retry.attempts` overrides the default count', async () => {
    const apisDir = await makeApisDir({
      files: {
        'asset-once.json': { method: 'GET', path: '/v1/asset/{id}', description: 'Never retried', params: { id: 'integer' }, retry: false },
        'asset-twice.json': { method: 'GET', path: '/v1/asset/{id}', description: 'Two tries', params: { id: 'integer' }, retry: { attempts: 2 } },
      },
    });
    cleanups.push(() => rm(apisDir, { recursive: true, force: true }));
    const s = await signedIn({ EVERCYCLE_APIS_DIR: apisDir, EVERCYCLE_RETRY_ATTEMPTS: '4' }, { faults: { [ASSET]: { errorRate: 1 } } });

    const once = await rawRequest(s.url, 'GET', '/api/asset-once/1');
    expect(once.status).toBe(502);
    expect(once.json).toMatchObject({ status: 'error', upstream_status: 503 });
    expect(calls(s)).toBe(1);

    s.sim.resetCalls();
    expect((await rawRequest(s.url, 'GET', '/api/asset-twice/1')).status).toBe(502);
    expect(calls(s)).toBe(2);

    s.sim.resetCalls();
    expect((await rawRequest(s.url, 'GET', '/api/get-asset-id/1')).status).toBe(502);
    expect(calls(s)).toBe(4);
  });
});

describe('the retry budget', () => {
  it.each([1, 3, 5])('EVERCYCLE_RETRY_ATTEMPTS=%i: an upstream that always answers 503 gets exactly that many tries', async (attempts) => {
    const s = await signedIn({ EVERCYCLE_RETRY_ATTEMPTS: String(attempts) }, { faults: { [ASSET]: { errorRate: 1 } } });
    const res = await rawRequest(s.url, 'GET', '/api/get-asset-id/7');
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ status: 'error', upstream_status: 503 });
    expect(calls(s)).toBe(attempts);
    const line = s.logs.entries().find((e) => e.msg === 'request completed' && e.path === '/api/get-asset-id/7');
    expect(line).toMatchObject({ upstream_calls: attempts, retries: attempts - 1 });
  });

  it('a retry that succeeds is invisible: 502, then 504, then 200 -> 200 with the real data', async () => {
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    const answers = [502, 504, 200];
    up.onData = (_req, res) => json(res, answers.shift() ?? 500, { n: 3 - answers.length });
    const gw = await startGateway(up.url, { env: { ...FAST_RETRIES, EVERCYCLE_RETRY_ATTEMPTS: '3' } });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    const res = await rawRequest(gw.url, 'GET', '/api/get-asset-id/3');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', data: { n: 3 } });
    expect(up.data.map((r) => `${r.method} ${r.url}`)).toEqual(Array(3).fill('GET /v1/asset/3'));
  });
});
