// Proactive refresh: shortly before the token stops counting as valid the gateway
// refreshes it in the background, with no client traffic, so callers rarely wait on a
// refresh. A failed background refresh is logged and tried again, never fatal.
// Real time, short lifetimes: tokens live 4 s, the skew is 1 s (valid for 3 s), and the
// refresh is due EVERCYCLE_REFRESH_AHEAD_S=2 s before that, but never before half the
// valid life: at 1.5 s.
import { afterEach, describe, expect, it } from 'vitest';
import { signIn, startStack, type Stack } from './helpers/stack.js';
import { count, getAll, health, LIST, readTokenFile, REFRESH, SIGNIN, waitUntil, type StoredTokens } from './helpers/tokens.js';

const ENV = { EVERCYCLE_TOKEN_SKEW_S: '1', EVERCYCLE_REFRESH_AHEAD_S: '2', EVERCYCLE_REFRESH_COOLDOWN_MS: '300', EVERCYCLE_BREAKER_FAILURES: '1000000' };

let stack: Stack | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function signedIn(env: Record<string, string> = {}): Promise<{ s: Stack; signedInAt: number }> {
  stack = await startStack({ env: { ...ENV, ...env }, simulator: { tokenTtlS: 4 } });
  await signIn(stack);
  return { s: stack, signedInAt: Date.now() };
}

const refreshes = (s: Stack): number => count(s.sim.calls(), REFRESH);

/** The token file once it holds other tokens than `before` (it is written just after the refresh answer). */
async function tokenFileChange(s: Stack, before: StoredTokens): Promise<StoredTokens> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const now = await readTokenFile(s.dataDir).catch(() => before);
    if (now.accessToken !== before.accessToken) return now;
    if (Date.now() > deadline) throw new Error('the token file never changed');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('background refresh', () => {
  it('refreshes before the token stops counting as valid, without any call (and not at all with EVERCYCLE_REFRESH_AHEAD_S=0)', async () => {
    // A second gateway, same lifetimes, background refresh off, signed in first: it must stay quiet meanwhile.
    const off = await startStack({ env: { ...ENV, EVERCYCLE_REFRESH_AHEAD_S: '0' }, simulator: { tokenTtlS: 4 } });
    cleanups.push(() => off.close());
    await signIn(off);
    const { s, signedInAt } = await signedIn();
    const before = await readTokenFile(s.dataDir);
    await waitUntil(() => refreshes(s) === 1, 'the background refresh', 3000);
    const at = Date.now() - signedInAt;
    expect(at).toBeGreaterThanOrEqual(1300);
    expect(at).toBeLessThan(3000);
    expect(count(s.sim.calls(), LIST)).toBe(0);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
    const after = await tokenFileChange(s, before);
    expect(after.expiresAt).toBeGreaterThan(before.expiresAt);
    expect((await health(s.url)).authenticated).toBe(true);
    // A call now uses the fresh token as is: no refresh on its path.
    expect((await getAll(s.url)).status).toBe(200);
    expect(refreshes(s)).toBe(1);
    expect(refreshes(off)).toBe(0);
    console.info(`[figures] background refresh ${at} ms after sign-in (token valid 3 s, lifetime 4 s)`);
  });

  it('a failed background refresh is logged and tried again (after max(1 s, cooldown)); the second one succeeds', async () => {
    const { s, signedInAt } = await signedIn();
    s.sim.faults.set(REFRESH, { errorRate: 1, errorStatuses: [500] });
    await waitUntil(() => refreshes(s) === 1, 'the first background refresh', 3000);
    await waitUntil(() => s.logs.entries().some((e) => e.msg === 'background token refresh failed'), 'the failure to be logged');
    s.sim.faults.clear();
    expect(s.logs.entries().find((e) => e.msg === 'background token refresh failed')).toMatchObject({ level: 40, reason: expect.stringMatching(/refresh failed \(500\)/) });
    // Meanwhile the gateway serves as usual with the token it has.
    expect((await getAll(s.url)).status).toBe(200);

    await waitUntil(() => refreshes(s) === 2, 'the retried background refresh', 2000);
    const retriedAt = Date.now() - signedInAt;
    expect(retriedAt).toBeGreaterThanOrEqual(2300);
    expect(retriedAt).toBeLessThan(3500);
    await waitUntil(() => s.logs.entries().some((e) => e.msg === 'Evercycle token refreshed'), 'the refresh to be adopted');
    expect((await health(s.url)).authenticated).toBe(true);
    expect((await getAll(s.url)).status).toBe(200);
    expect(refreshes(s)).toBe(2);
    expect(s.logs.entries().filter((e) => (e.level as number) >= 50)).toEqual([]);
  });
});
