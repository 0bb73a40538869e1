// A burst of wrong passwords on POST /api/auth must not lock the Evercycle account: from
// the second rejection in a row (one typo is free), that username's next attempt waits
// (doubling) before it reaches Evercycle.
import { afterEach, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.js';
import { rawRequest } from './helpers/raw-http.js';
import { startStack, type Stack } from './helpers/stack.js';
import { count, SIGNIN } from './helpers/tokens.js';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const auth = (s: Stack, password: string, username: string = DEMO_ACCOUNT.username) =>
  rawRequest(s.url, 'POST', '/api/auth', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

it('six quick wrong passwords reach Evercycle twice; the account is never locked; the right password works after the wait', async () => {
  stack = await startStack({ env: { EVERCYCLE_SIGNIN_BACKOFF_MS: '300' } });
  stack.sim.faults.setSigninLockout({ maxFailures: 3 });
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await auth(stack, `wrong-${i}`));
  expect(answers.map((a) => a.status)).toEqual([401, 401, 429, 429, 429, 429]);
  expect(answers[2]!.headers['retry-after']).toBe('1');
  expect(answers[2]!.json).toEqual({ status: 'error', message: 'too many failed sign-ins for this user; retry in 1 s' });
  expect(count(stack.sim.calls(), SIGNIN)).toBe(2);
  // Another user is not held up by this one's failures (case-insensitive per user).
  expect((await auth(stack, 'secret', 'it-admin@northwind.example')).status).toBe(200);
  expect((await auth(stack, 'secret', DEMO_ACCOUNT.username.toUpperCase())).status).toBe(429);
  await new Promise((r) => setTimeout(r, 350));
  expect((await auth(stack, DEMO_ACCOUNT.password)).status).toBe(200);
  expect(stack.sim.faults.lockedAccounts()).toEqual([]);
});
