// Requests the gateway answers, counted by API (or route), method and status with their
// latency; a client that goes away is counted as 499. Label values never come from the
// client: unknown API names are `unknown`, so a flood of made-up names adds no series.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { scrape, scrapeUntil } from './helpers/metrics.js';
import { rawRequest } from './helpers/raw-http.js';
import { ONE_TRY, signIn, startStack, type Stack } from './helpers/stack.js';

const REQUESTS = 'evercycle_gateway_http_requests_total';
const DURATION = 'evercycle_gateway_http_request_duration_seconds';
const UPSTREAM = 'evercycle_gateway_upstream_request_duration_seconds';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function signedIn(options: Parameters<typeof startStack>[0] = {}): Promise<Stack> {
  // RATE_LIMIT_MAX=0: a hundred calls from one client must not meet the rate limit.
  stack = await startStack({ ...options, env: { ...ONE_TRY, RATE_LIMIT_MAX: '0', ...options.env } });
  await signIn(stack);
  return stack;
}

describe('requests by API, method and status', () => {
  it('N proxied calls count N, with one latency observation each', async () => {
    const s = await signedIn();
    for (let i = 0; i < 7; i++) expect((await rawRequest(s.url, 'GET', '/api/get-all?per_page=1')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await rawRequest(s.url, 'GET', '/api/get-asset-id/999999')).status).toBe(404);
    const m = await scrape(s.url);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'GET', status: '200' })).toBe(7);
    expect(m.value(`${DURATION}_count`, { api: 'get-all', method: 'GET' })).toBe(7);
    // An upstream 404 passed on is counted under the API that answered it.
    expect(m.value(REQUESTS, { api: 'get-asset-id', method: 'GET', status: '404' })).toBe(2);
    expect(m.value(`${DURATION}_count`, { api: 'get-asset-id', method: 'GET' })).toBe(2);
    // The sign-in of the stack helper, under the gateway's own route.
    expect(m.value(REQUESTS, { api: '/api/auth', method: 'POST', status: '200' })).toBe(1);
  });

  it("the gateway's own routes are named by their route, whatever the query", async () => {
    const s = await signedIn();
    expect((await rawRequest(s.url, 'GET', '/health?x=1')).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/health')).status).toBe(200);
    expect((await rawRequest(s.url, 'HEAD', '/api/list')).status).toBe(200);
    expect((await rawRequest(s.url, 'POST', '/ready')).status).toBe(405);
    const m = await scrape(s.url);
    expect(m.value(REQUESTS, { api: '/health', method: 'GET', status: '200' })).toBe(2);
    expect(m.value(REQUESTS, { api: '/api/list', method: 'HEAD', status: '200' })).toBe(1);
    expect(m.value(REQUESTS, { api: '/ready', method: 'POST', status: '405' })).toBe(1);
  });

  it('a method the API does not take is counted under the API, with its 405', async () => {
    const s = await signedIn();
    expect((await rawRequest(s.url, 'DELETE', '/api/get-all')).status).toBe(405);
    const m = await scrape(s.url);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'DELETE', status: '405' })).toBe(1);
  });
});

describe('label values stay bounded', () => {
  it('100 made-up API names are all counted as one `unknown` series, and none of them appears', async () => {
    const s = await signedIn();
    const names = Array.from({ length: 100 }, () => `x${randomBytes(8).toString('hex')}`);
    for (const [i, name] of names.entries()) {
      // Made-up names in every position the proxy reads one from.
      const target = i % 2 === 0 ? `/api/${name}` : `/api/${name}/1/2`;
      expect((await rawRequest(s.url, 'GET', target)).status).toBe(404);
    }
    const m = await scrape(s.url);
    expect(m.value(REQUESTS, { api: 'unknown', method: 'GET', status: '404' })).toBe(100);
    expect(m.value(`${DURATION}_count`, { api: 'unknown', method: 'GET' })).toBe(100);
    for (const name of names) expect(m.text).not.toContain(name.slice(1));
    const apis = new Set(m.samples.filter((x) => x.name.startsWith('evercycle_gateway_http_')).map((x) => x.labels.api));
    expect([...apis].sort()).toEqual(['/api/auth', 'unknown']);
  });

  it('unmatched paths and unusual methods are counted too, as `unknown` and `OTHER`', async () => {
    const s = await signedIn();
    const paths = Array.from({ length: 20 }, () => `/${randomBytes(6).toString('hex')}/x`);
    for (const path of paths) expect((await rawRequest(s.url, 'GET', path)).status).toBe(404);
    expect((await rawRequest(s.url, 'PROPFIND', '/nope')).status).toBe(404);
    const m = await scrape(s.url);
    expect(m.value(REQUESTS, { api: 'unknown', method: 'GET', status: '404' })).toBe(20);
    expect(m.value(REQUESTS, { api: 'unknown', method: 'OTHER', status: '404' })).toBe(1);
    for (const path of paths) expect(m.text).not.toContain(path);
    expect(m.text).not.toContain('PROPFIND');
  });
});

describe('a client that goes away', () => {
  it('is counted as 499 under its API, and its upstream try as aborted', async () => {
    const s = await signedIn({ simulator: { faults: { 'GET /v1/asset/:id': { latencyMs: 2000 } } } });
    // Abort once the simulator has the call: the gateway is then waiting on Evercycle.
    const arrived = new Promise<void>((resolve) =>
      s.sim.app.server.on('request', (req: IncomingMessage) => {
        if (req.url?.startsWith('/v1/asset/')) resolve();
      }),
    );
    const { port } = new URL(s.url);
    const req = http.get({ host: '127.0.0.1', port, path: '/api/get-asset-id/1', agent: false });
    req.on('error', () => {});
    await arrived;
    req.destroy();

    const m = await scrapeUntil(s.url, (x) => x.value(REQUESTS, { api: 'get-asset-id', method: 'GET', status: '499' }) === 1, 'the 499 to be counted');
    expect(m.value(`${DURATION}_count`, { api: 'get-asset-id', method: 'GET' })).toBe(1);
    expect(m.sum(REQUESTS, { api: 'get-asset-id' })).toBe(1);
    const aborted = await scrapeUntil(s.url, (x) => x.sum(`${UPSTREAM}_count`, { outcome: 'aborted' }) === 1, 'the aborted try');
    // Every other try is the sign-in.
    expect(aborted.sum(`${UPSTREAM}_count`)).toBe(2);
  });
});
