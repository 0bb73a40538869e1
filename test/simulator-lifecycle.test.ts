// createSimulator / listen / close, the demo account, options, and logging.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createSimulator, DEMO_ACCOUNT } from '../src/simulator/index.js';
import { authHeaders, call, signIn } from './simulator-helpers.js';

describe('createSimulator', () => {
  it('listens on 127.0.0.1 and a free port by default and resolves the base URL', async () => {
    const sim = createSimulator();
    const base = await sim.listen();
    try {
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Number(new URL(base).port)).toBeGreaterThan(0);
      expect((await call(base, 'GET', '/nope')).status).toBe(404);
    } finally {
      await sim.close();
    }
    await expect(fetch(`${base}/v1/programs`)).rejects.toThrow();
  });

  it('can be closed twice', async () => {
    const sim = createSimulator();
    await sim.listen();
    await sim.close();
    await expect(sim.close()).resolves.toBeUndefined();
  });

  it('exposes the documented demo account', () => {
    expect(DEMO_ACCOUNT).toEqual({ username: 'user@example.com', password: 'secret' });
    expect(createSimulator().demo).toEqual(DEMO_ACCOUNT);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses tokenTtlS %s', (tokenTtlS) => {
    expect(() => createSimulator({ tokenTtlS })).toThrow(RangeError);
  });

  it('accepts a pino logger and never logs the password or the tokens', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const sim = createSimulator({ logger: pino({ level: 'trace' }, sink) });
    const base = await sim.listen();
    try {
      const tokens = await signIn(base, { username: 'user@example.com', password: 'secret' });
      await call(base, 'GET', '/v1/asset/1', { headers: authHeaders(tokens) });
      await call(base, 'POST', '/v1/auth/refresh', { json: { refresh_token: tokens.RefreshToken } });
      await call(base, 'GET', '/v1/asset/1', { headers: { authorization: `Bearer ${tokens.IdToken}`, 'access-token': tokens.AccessToken } });
      const log = lines.join('');
      expect(log).toContain('/v1/asset/1');
      for (const secret of ['"secret"', tokens.IdToken.split('.')[2]!.slice(0, 30), tokens.AccessToken.split('.')[2]!.slice(0, 30), tokens.RefreshToken.slice(-30)]) {
        expect(log).not.toContain(secret);
      }
    } finally {
      await sim.close();
    }
  });
});
