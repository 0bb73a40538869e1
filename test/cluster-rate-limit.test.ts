// Rate limits shared through Redis (EVERCYCLE_REDIS_URL): every gateway using the same Redis
// counts against one budget per client, in the rate-limit library's Redis store under
// EVERCYCLE_REDIS_PREFIX. Redis down: requests are served without a limit (fail open, one
// warning), and the limits come back by themselves when Redis does.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';

const LIMIT = 4;
const PREFIX = 'test-rl:';

let redis: RedisServer;
let sim: Simulator;
let a: StartedGateway;
let b: StartedGateway;

const get = (gw: StartedGateway, from: string): Promise<RawResponse> => rawRequest(gw.url, 'GET', '/api/list', { localAddress: from });

async function waitForLog(gw: StartedGateway, msg: string | RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const matches = (m: unknown) => typeof m === 'string' && (typeof msg === 'string' ? m === msg : msg.test(m));
  while (!gw.logs.entries().some((l) => matches(l.msg) && l.redis === 'rate-limit')) {
    if (Date.now() > deadline) throw new Error(`no "${msg}" log line:\n${gw.logs.text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  if (!HAVE_REDIS) return;
  redis = await startRedis();
  sim = createSimulator();
  const simUrl = await sim.listen();
  const env = { EVERCYCLE_REDIS_URL: redis.url, EVERCYCLE_REDIS_PREFIX: PREFIX, RATE_LIMIT_MAX: String(LIMIT), RATE_LIMIT_WINDOW_MS: '60000' };
  a = await startGateway(simUrl, { env });
  b = await startGateway(simUrl, { env });
  // Before its connection is up a gateway serves without counting (fail open).
  await waitForLog(a, 'connected to Redis');
  await waitForLog(b, 'connected to Redis');
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await sim?.close();
  await redis?.stop();
});

if (!HAVE_REDIS) console.warn(`cluster-rate-limit: skipped: ${NO_REDIS_REASON}`);

describe.skipIf(!HAVE_REDIS)('two gateways sharing one Redis', () => {
  it(`allow ${LIMIT} requests per client in total across both, then answer 429 on either`, async () => {
    const remaining: string[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const res = await get(i % 2 === 0 ? a : b, '127.0.0.2');
      expect(res.status).toBe(200);
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);
    for (const gw of [a, b]) {
      const res = await get(gw, '127.0.0.2');
      expect(res.status).toBe(429);
      expect(res.json.message).toMatch(/^rate limit exceeded: at most 4 requests per minute/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Another client has a budget of its own.
    expect((await get(b, '127.0.0.3')).status).toBe(200);
  });

  it('keeps the counters in Redis under EVERCYCLE_REDIS_PREFIX, expiring with the window', async () => {
    await get(a, '127.0.0.4');
    const client = new Redis(redis.url);
    try {
      const key = `${PREFIX}rate-limit:ip:127.0.0.4`;
      expect(await client.get(key)).toBe('1');
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      client.disconnect();
    }
  });

  it('serve requests without a limit while Redis is down (one warning), and limit again once it is back', async () => {
    await redis.stop();
    // Well past the budget, on both gateways: nothing fails because the counters are gone.
    for (let i = 0; i < LIMIT + 3; i++) {
      const res = await get(i % 2 === 0 ? a : b, '127.0.0.5');
      expect(res.status).toBe(200);
    }
    for (const gw of [a, b]) {
      await waitForLog(gw, /^Redis unreachable: rate limits are NOT enforced/);
      expect(gw.logs.entries().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('Redis unreachable: rate limits are NOT enforced')).length).toBe(1);
    }

    await redis.start();
    await waitForLog(a, 'rate limits enforced again (Redis is back)');
    await waitForLog(b, 'rate limits enforced again (Redis is back)');
    for (let i = 0; i < LIMIT; i++) expect((await get(i % 2 === 0 ? a : b, '127.0.0.5')).status).toBe(200);
    expect((await get(a, '127.0.0.5')).status).toBe(429);
    expect((await get(b, '127.0.0.5')).status).toBe(429);
  }, 30_000);
});
