// Fault injection: the sign-in endpoint locks an account after N consecutive failures,
// answering like Cognito (400 NotAuthorizedException "Password attempts exceeded"), even
// to the right password, until lockMs passes or the lockout is cleared.
import { afterEach, describe, expect, it } from 'vitest';
import { call, manualClock, startSimulator, type Running } from './simulator-helpers.js';

const LOCKED = { __type: 'NotAuthorizedException', message: 'Password attempts exceeded' };

describe('fault injection: sign-in lockout', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  const signIn = (username: string, password: string) => call(s!.base, 'POST', '/v1/auth/signin', { json: { username, password } });

  it('locks after maxFailures failures; then even the right password is refused; every call is counted', async () => {
    s = await startSimulator();
    s.sim.faults.setSigninLockout({ maxFailures: 3 });
    for (let i = 0; i < 3; i++) expect((await signIn('user@example.com', 'wrong')).status).toBe(401);
    const locked = await signIn('user@example.com', 'secret');
    expect(locked.status).toBe(400);
    expect(locked.body).toEqual(LOCKED);
    expect((await signIn('USER@example.com', 'wrong')).body).toEqual(LOCKED);
    expect(s.sim.faults.lockedAccounts()).toEqual(['user@example.com']);
    // Other accounts are not affected.
    expect((await signIn('it-admin@northwind.example', 'secret')).status).toBe(200);
    expect(s.sim.calls()['POST /v1/auth/signin']).toBe(6);
    expect(s.sim.faultCounts()['POST /v1/auth/signin']).toMatchObject({ real: 6, faulted: 0, lockedOut: 2 });
    // Cleared: the account signs in again.
    s.sim.faults.setSigninLockout(null);
    expect(s.sim.faults.lockedAccounts()).toEqual([]);
    expect((await signIn('user@example.com', 'secret')).status).toBe(200);
  });

  it('counts consecutive failures only: a successful sign-in starts over', async () => {
    s = await startSimulator();
    s.sim.faults.setSigninLockout({ maxFailures: 2 });
    expect((await signIn('user@example.com', 'wrong')).status).toBe(401);
    expect((await signIn('user@example.com', 'secret')).status).toBe(200);
    expect((await signIn('user@example.com', 'wrong')).status).toBe(401);
    expect((await signIn('user@example.com', 'secret')).status).toBe(200);
    expect(s.sim.faults.lockedAccounts()).toEqual([]);
  });

  it('unlocks after lockMs on the simulator clock, with the count started over', async () => {
    const clock = manualClock(Date.UTC(2025, 5, 2, 12));
    s = await startSimulator({ now: clock.now });
    s.sim.faults.setSigninLockout({ maxFailures: 2, lockMs: 60_000 });
    await signIn('user@example.com', 'wrong');
    await signIn('user@example.com', 'wrong');
    clock.advance(59_999);
    expect((await signIn('user@example.com', 'secret')).status).toBe(400);
    clock.advance(1);
    expect(s.sim.faults.lockedAccounts()).toEqual([]);
    expect((await signIn('user@example.com', 'wrong')).status).toBe(401);
    expect((await signIn('user@example.com', 'secret')).status).toBe(200);
  });

  it('locks unknown usernames the same way, so a lock reveals nothing', async () => {
    s = await startSimulator();
    s.sim.faults.setSigninLockout({ maxFailures: 1 });
    expect((await signIn('nobody@example.com', 'x')).status).toBe(401);
    expect((await signIn('nobody@example.com', 'x')).body).toEqual(LOCKED);
  });

  it('does nothing without a policy, and refuses a bad one', async () => {
    s = await startSimulator();
    for (let i = 0; i < 20; i++) expect((await signIn('user@example.com', 'wrong')).status).toBe(401);
    expect((await signIn('user@example.com', 'secret')).status).toBe(200);
    expect(s.sim.faults.signinLockout()).toBeNull();
    expect(() => s!.sim.faults.setSigninLockout({ maxFailures: 0 })).toThrow(RangeError);
    expect(() => s!.sim.faults.setSigninLockout({ maxFailures: 2, lockMs: -5 })).toThrow(RangeError);
    s.sim.faults.setSigninLockout({ maxFailures: 2, lockMs: 1000 });
    expect(s.sim.faults.signinLockout()).toEqual({ maxFailures: 2, lockMs: 1000 });
  });

  it('a failing sign-in can also be injected (the lockout counts only answers the handler gave)', async () => {
    s = await startSimulator({ faults: { 'POST /v1/auth/signin': { errorRate: 1 } } });
    s.sim.faults.setSigninLockout({ maxFailures: 1 });
    expect((await signIn('user@example.com', 'wrong')).status).toBe(503);
    s.sim.faults.clear();
    expect((await signIn('user@example.com', 'secret')).status).toBe(200);
  });
});
