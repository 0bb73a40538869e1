// Rate limiting: RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per client (its API key's
// name, else its address); then 429 in our error shape with Retry-After and x-ratelimit-*,
// and nothing upstream. /health and /ready are exempt. Addresses come from
// X-Forwarded-For only when TRUST_PROXY trusts the proxy that sent it.
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../src/config.js';
import { rateLimitKey } from '../src/server/security/rate-limit.js';
import { trustProxyOption } from '../src/server/security/trust-proxy.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';

const LIMIT = 5;
const get = (stack: Stack, target: string, options: { forwardedFor?: string; from?: string } = {}): Promise<RawResponse> =>
  rawRequest(stack.url, 'GET', target, {
    headers: options.forwardedFor === undefined ? {} : { 'x-forwarded-for': options.forwardedFor },
    localAddress: options.from,
  });

/** Sign in from an address of its own (127.0.0.9), so it spends no test client's budget. */
async function signedInStack(env: Record<string, string>): Promise<Stack> {
  const stack = await startStack({ env: { RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW_MS: '60000', ...env } });
  const res = await rawRequest(stack.url, 'POST', '/api/auth', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(stack.sim.demo),
    localAddress: '127.0.0.9',
  });
  expect(res.status).toBe(200);
  return stack;
}

function expectLimited(res: RawResponse, underApi = true): void {
  expect(res.status).toBe(429);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/^rate limit exceeded: at most 5 requests per minute; retry in /) });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
  expect(res.headers['x-ratelimit-remaining']).toBe('0');
  expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  if (underApi) expect(res.headers['cache-control']).toBe('no-store');
}

describe('per client address', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await signedInStack({});
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.sim.resetCalls();
  });

  it(`allows ${LIMIT} requests per window with x-ratelimit-* headers, then answers 429 without calling the upstream`, async () => {
    for (let i = 1; i <= LIMIT; i++) {
      const res = await get(stack, '/api/get-all?per_page=1', { from: '127.0.0.2' });
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i));
      expect(res.headers['x-ratelimit-reset']).toBeDefined();
    }
    expect(stack.sim.calls()).toEqual({ 'GET /v1/asset': LIMIT });
    for (const target of ['/api/get-all', '/api/list', '/api/nope', '/nope']) expectLimited(await get(stack, target, { from: '127.0.0.2' }), target.startsWith('/api/'));
    // Bodies are not even read.
    expectLimited(await rawRequest(stack.url, 'POST', '/api/auth', { headers: { 'content-type': 'application/json' }, body: '{}', localAddress: '127.0.0.2' }));
    expect(stack.sim.calls()).toEqual({ 'GET /v1/asset': LIMIT });
  });

  it('/health and /ready stay open to a limited client, and carry no rate-limit headers', async () => {
    for (let i = 0; i < 3 * LIMIT; i++) {
      for (const target of ['/health', '/ready', '/health?x=1']) {
        const res = await get(stack, target, { from: '127.0.0.2' });
        expect(res.status).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    }
    expectLimited(await get(stack, '/api/list', { from: '127.0.0.2' }));
  });

  it('another address has a budget of its own', async () => {
    const res = await get(stack, '/api/get-all?per_page=1', { from: '127.0.0.3' });
    expect(res.status).toBe(200);
    expect(res.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
  });

  it('unknown paths count too: a scan spends the budget', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await get(stack, `/scan-${i}`, { from: '127.0.0.4' })).status).toBe(404);
    expectLimited(await get(stack, '/api/list', { from: '127.0.0.4' }));
  });

  it('X-Forwarded-For is ignored without TRUST_PROXY: two "clients" behind it share one bucket', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await get(stack, '/api/list', { from: '127.0.0.5', forwardedFor: i % 2 === 0 ? '203.0.113.1' : '203.0.113.2' });
      expect(res.status).toBe(200);
    }
    expectLimited(await get(stack, '/api/list', { from: '127.0.0.5', forwardedFor: '203.0.113.3' }));
    const logged = stack.logs.entries().filter((l) => l.msg === 'request completed' && l.path === '/api/list');
    expect(logged.at(-1)).toMatchObject({ client_ip: '127.0.0.5', status: 429 });
  });
});

describe('the window', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '400' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a new window gives the budget back', async () => {
    expect((await get(stack, '/api/list')).status).toBe(200);
    expect((await get(stack, '/api/list')).status).toBe(200);
    const limited = await get(stack, '/api/list');
    expect(limited.status).toBe(429);
    expect(limited.json.message).toMatch(/at most 2 requests per 400 ms/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await get(stack, '/api/list')).status).toBe(200);
  });
});

describe('RATE_LIMIT_MAX=0', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '0' } });
    await signIn(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('turns rate limiting off', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await get(stack, '/api/list');
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Forwarded clients are remote, so without keys they would be refused (access-loopback-only):
    // this file is about buckets, so let them in.
    stack = await signedInStack({ TRUST_PROXY: '127.0.0.1', INSECURE_ALLOW_UNAUTHENTICATED: 'true' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('two clients named by X-Forwarded-For get separate buckets', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await get(stack, '/api/list', { forwardedFor: '198.51.100.1' })).status).toBe(200);
    expectLimited(await get(stack, '/api/list', { forwardedFor: '198.51.100.1' }));
    const other = await get(stack, '/api/list', { forwardedFor: '198.51.100.2' });
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
  });

  it('the request log shows the forwarded client address', async () => {
    await get(stack, '/api/list', { forwardedFor: '198.51.100.7' });
    const line = stack.logs.entries().filter((l) => l.msg === 'request completed').at(-1);
    expect(line).toMatchObject({ client_ip: '198.51.100.7', path: '/api/list' });
  });

  it('the right-most untrusted address counts: a client cannot pick its bucket by prepending addresses', async () => {
    await get(stack, '/api/list', { forwardedFor: '10.9.9.9, 198.51.100.8' });
    expect(stack.logs.entries().filter((l) => l.msg === 'request completed').at(-1)).toMatchObject({ client_ip: '198.51.100.8' });
  });

  it('X-Forwarded-For from an address that is not the trusted proxy is ignored', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await get(stack, '/api/list', { from: '127.0.0.6', forwardedFor: `198.51.100.${20 + i}` })).status).toBe(200);
    expectLimited(await get(stack, '/api/list', { from: '127.0.0.6', forwardedFor: '198.51.100.99' }));
    expect(stack.logs.entries().filter((l) => l.msg === 'request completed').at(-1)).toMatchObject({ client_ip: '127.0.0.6' });
  });
});

describe('TRUST_PROXY as a hop count', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { TRUST_PROXY: '1', RATE_LIMIT_MAX: '0' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('1: the address the one proxy saw is the client', async () => {
    await get(stack, '/api/list', { forwardedFor: '192.0.2.1, 192.0.2.2' });
    expect(stack.logs.entries().filter((l) => l.msg === 'request completed').at(-1)).toMatchObject({ client_ip: '192.0.2.2' });
  });
});

describe('the TRUST_PROXY setting', () => {
  it.each([
    ['false', false],
    ['FALSE', false],
    ['true', true],
    ['127.0.0.1', ['127.0.0.1']],
    ['127.0.0.1, 10.0.0.0/8,::1', ['127.0.0.1', '10.0.0.0/8', '::1']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('%j -> %j', (value, option) => {
    expect(loadSettings({ TRUST_PROXY: value }).trustProxy).toBe(value.trim());
    expect(trustProxyOption(value)).toEqual(option);
  });

  it('a hop count trusts exactly that many hops', () => {
    const two = trustProxyOption('2') as (address: string, index: number) => boolean;
    expect([0, 1, 2, 3].map((i) => two('192.0.2.1', i))).toEqual([true, true, false, false]);
  });

  it.each(['yes', 'localhost', '10.0.0.0/33', '300.1.1.1', '127.0.0.1,', '1.2.3.4/8/1', '-1'])('%j is refused at start-up', (value) => {
    expect(() => loadSettings({ TRUST_PROXY: value })).toThrow(SettingsError);
  });
});

describe('the rate-limit key', () => {
  const request = (fields: Record<string, unknown>) => fields as unknown as FastifyRequest;

  it("is the authenticated client's name when there is one, else the address", () => {
    expect(rateLimitKey(request({ client: { name: 'ci-bot', role: 'read' }, ip: '127.0.0.1' }))).toBe('key:ci-bot');
    expect(rateLimitKey(request({ client: null, ip: '127.0.0.1' }))).toBe('ip:127.0.0.1');
    expect(rateLimitKey(request({ ip: '203.0.113.5' }))).toBe('ip:203.0.113.5');
  });

  it('a key named like an address does not share that address\'s bucket', () => {
    expect(rateLimitKey(request({ client: { name: '127.0.0.1' }, ip: '127.0.0.1' }))).not.toBe(rateLimitKey(request({ ip: '127.0.0.1' })));
  });

  it('IPv6 clients are grouped by /64 and mapped IPv4 addresses by their IPv4 form', () => {
    expect(rateLimitKey(request({ ip: '2001:db8:1:2:aaaa::1' }))).toBe(rateLimitKey(request({ ip: '2001:db8:1:2:bbbb::2' })));
    expect(rateLimitKey(request({ ip: '::ffff:127.0.0.1' }))).toBe('ip:127.0.0.1');
  });
});
