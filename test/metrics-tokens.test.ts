// The Evercycle session in the metrics: sign-ins by result and source, refreshes by
// result, and the seconds until the held token expires (no sample without a token).
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { scrape, scrapeUntil } from './helpers/metrics.js';
import { ONE_TRY, signIn, startStack, type Stack, type StackOptions } from './helpers/stack.js';
import { count, getAll, health, postJson, REFRESH, SIGNIN } from './helpers/tokens.js';

const SIGNINS = 'evercycle_gateway_signins_total';
const REFRESHES = 'evercycle_gateway_token_refreshes_total';
const EXPIRES = 'evercycle_gateway_token_expires_in_seconds';
const UPSTREAM = 'evercycle_gateway_upstream_request_duration_seconds';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(options: StackOptions = {}): Promise<Stack> {
  stack = await startStack({ ...options, env: { ...ONE_TRY, ...options.env } });
  return stack;
}

describe('token expiry gauge', () => {
  it('has no sample while no token is held', async () => {
    const s = await start();
    const m = await scrape(s.url);
    expect(m.types.get(EXPIRES)).toBe('gauge');
    expect(m.series(EXPIRES)).toEqual([]);
  });

  it('is the token lifetime after sign-in, and counts down with the clock', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, simulator: { now: clock.now, tokenTtlS: 900 } });
    await signIn(s);
    expect((await scrape(s.url)).value(EXPIRES)).toBe(900);
    clock.advanceS(100);
    expect((await scrape(s.url)).value(EXPIRES)).toBe(800);
    expect((await health(s.url)).token_expires_in_s).toBe(800);
  });

  it('on a real clock: close to the simulator TTL', async () => {
    const s = await start({ simulator: { tokenTtlS: 3600 } });
    await signIn(s);
    const seconds = (await scrape(s.url)).value(EXPIRES)!;
    expect(seconds).toBeGreaterThanOrEqual(3598);
    expect(seconds).toBeLessThanOrEqual(3600);
  });
});

describe('refreshes', () => {
  it('an expired token is refreshed once: success 1, one refresh try upstream', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, simulator: { now: clock.now, tokenTtlS: 900 } });
    await signIn(s);
    clock.advanceS(900);
    expect((await scrape(s.url)).value(EXPIRES)).toBe(0);
    expect((await getAll(s.url)).status).toBe(200);
    const m = await scrape(s.url);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    expect(m.value(REFRESHES, { result: 'success' })).toBe(1);
    expect(m.value(REFRESHES, { result: 'failure' })).toBe(0);
    expect(m.value(`${UPSTREAM}_count`, { operation: 'auth:refresh', outcome: '2xx' })).toBe(1);
    expect(m.value(EXPIRES)).toBe(900);
  });

  it('a refresh the upstream fails (500) counts as a failure', async () => {
    const clock = manualClock();
    const s = await start({ now: clock.now, simulator: { now: clock.now, tokenTtlS: 900, faults: { [REFRESH]: { errorRate: 1, errorStatuses: [500] } } } });
    await signIn(s);
    clock.advanceS(900);
    expect((await getAll(s.url)).status).toBe(502);
    const m = await scrape(s.url);
    expect(m.value(REFRESHES, { result: 'failure' })).toBe(1);
    expect(m.value(REFRESHES, { result: 'success' })).toBe(0);
    expect(m.value(`${UPSTREAM}_count`, { operation: 'auth:refresh', outcome: '5xx' })).toBe(1);
  });
});

describe('sign-ins', () => {
  it('POST /api/auth: a wrong password, then the right one', async () => {
    const s = await start();
    expect((await postJson(s.url, '/api/auth', { username: DEMO_ACCOUNT.username, password: 'wrong' })).status).toBe(401);
    expect((await scrape(s.url)).value(SIGNINS, { result: 'failure', source: 'client' })).toBe(1);
    await signIn(s);
    const m = await scrape(s.url);
    expect(m.value(SIGNINS, { result: 'success', source: 'client' })).toBe(1);
    expect(m.value(SIGNINS, { result: 'failure', source: 'client' })).toBe(1);
    expect(m.sum(SIGNINS, { source: 'service_account' })).toBe(0);
    expect(m.value(`${UPSTREAM}_count`, { operation: 'auth:signin', outcome: '4xx' })).toBe(1);
    expect(m.value(`${UPSTREAM}_count`, { operation: 'auth:signin', outcome: '2xx' })).toBe(1);
  });

  it('the service account signs in at start', async () => {
    const s = await start({ env: { EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: DEMO_ACCOUNT.password } });
    const m = await scrapeUntil(s.url, (x) => x.value(SIGNINS, { result: 'success', source: 'service_account' }) === 1, 'the start-up sign-in');
    expect(m.sum(SIGNINS, { result: 'failure' })).toBe(0);
    expect(m.value(EXPIRES)).toBeGreaterThan(0);
  });

  it('a wrong service-account password: one failure per attempt that reached Evercycle', async () => {
    // The default back-off: after the rejection at start, calls are answered 401 without a new attempt.
    const s = await start({ env: { EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: 'wrong-password', EVERCYCLE_SIGNIN_BACKOFF_MS: '60000' } });
    await scrapeUntil(s.url, (x) => x.value(SIGNINS, { result: 'failure', source: 'service_account' }) === 1, 'the start-up sign-in to fail');
    expect((await getAll(s.url)).status).toBe(401);
    const m = await scrape(s.url);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    expect(m.value(SIGNINS, { result: 'failure', source: 'service_account' })).toBe(1);
    expect(m.sum(SIGNINS, { result: 'success' })).toBe(0);
    expect(m.series(EXPIRES)).toEqual([]);
  });
});
