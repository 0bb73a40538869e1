// EVERCYCLE_USERNAME/EVERCYCLE_PASSWORD: the gateway signs in by itself (also at start),
// so /api/auth is optional; a wrong service password answers 401 and breaks nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { startStack, type Stack, type StackOptions } from './helpers/stack.js';
import { count, getAll, health, LIST, postJson, REFRESH, SIGNIN, waitForHealth, waitForTokenFile, waitUntil } from './helpers/tokens.js';

const SERVICE = { EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: DEMO_ACCOUNT.password };

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(options: StackOptions): Promise<Stack> {
  stack = await startStack(options);
  return stack;
}

describe('service account', () => {
  it('signs in by itself at start; calls work without /api/auth', async () => {
    const s = await start({ env: SERVICE, simulator: { tokenTtlS: 1800 } });
    const h = await waitForHealth(s.url, (x) => x.authenticated);
    expect(h.token_expires_in_s).toBeGreaterThan(1790);
    expect((await waitForTokenFile(s.dataDir)).version).toBe(1);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    const res = await getAll(s.url);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    expect(count(s.sim.calls(), LIST)).toBe(1);
  });

  it('a restart with a valid stored token does not sign in again', async () => {
    const s = await start({ env: SERVICE });
    await waitForHealth(s.url, (x) => x.authenticated);
    await waitForTokenFile(s.dataDir);
    await s.restart();
    expect((await getAll(s.url)).status).toBe(200);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
  });

  it('a restart with an expired stored token refreshes it at start, without signing in', async () => {
    const clock = manualClock();
    const s = await start({ env: SERVICE, now: clock.now, simulator: { now: clock.now } });
    await waitForHealth(s.url, (x) => x.authenticated);
    await waitForTokenFile(s.dataDir);
    clock.advanceS(7200);
    await s.restart();
    await waitForHealth(s.url, (x) => x.authenticated);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    expect(count(s.sim.calls(), REFRESH)).toBe(1);
    expect((await getAll(s.url)).status).toBe(200);
  });

  it('/api/auth still works next to a service account', async () => {
    const s = await start({ env: SERVICE });
    await waitForHealth(s.url, (x) => x.authenticated);
    expect((await postJson(s.url, '/api/auth', s.sim.demo)).status).toBe(200);
    expect(count(s.sim.calls(), SIGNIN)).toBe(2);
    expect((await getAll(s.url)).status).toBe(200);
  });

  it('a wrong service password: calls answer 401, nothing crashes, the error is logged', async () => {
    const s = await start({ env: { EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: 'wrong-service-password' } });
    // Wait for the start-up attempt to be refused.
    await waitUntil(() => count(s.sim.calls(), SIGNIN) === 1, 'the start-up sign-in');
    await waitUntil(() => s.logs.lines.some((l) => l.includes('Evercycle rejected the configured service account')), 'the refusal to be logged');

    // Within the back-off after the refusal, calls answer 401 without a new attempt.
    const res = await getAll(s.url);
    expect(res.status).toBe(401);
    expect(res.json.status).toBe('error');
    expect(res.json.message).toMatch(/^sign-in with the configured service account failed; next attempt in [1-5] s$/);
    expect(count(s.sim.calls(), LIST)).toBe(0);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);

    const h = await health(s.url);
    expect(h).toMatchObject({ status: 'ok', authenticated: false, token_expires_in_s: null });
    const errors = s.logs.entries().filter((e) => e.level === 50 && e.msg === 'Evercycle rejected the configured service account; backing off');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(s.logs.text).not.toContain('wrong-service-password');

    // Still serving: a client can sign in with good credentials through /api/auth.
    expect((await postJson(s.url, '/api/auth', s.sim.demo)).status).toBe(200);
    expect((await getAll(s.url)).status).toBe(200);
  });
});
