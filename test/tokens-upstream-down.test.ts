// A refresh that fails for lack of an answer (upstream down, 5xx, garbage) is an outage,
// not a verdict on our tokens: 502, and the tokens held are kept for when it comes back.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from './helpers/clock.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream } from './helpers/scripted-upstream.js';
import { ONE_TRY, startGateway, startStack, signIn } from './helpers/stack.js';
import { getAll, health, postJson, tokenFile } from './helpers/tokens.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('refresh while the upstream is down', () => {
  it('simulator closed: 502 JSON error (not 401), token file kept', async () => {
    const clock = manualClock();
    const s = await startStack({ now: clock.now, simulator: { now: clock.now } });
    cleanups.push(() => s.close());
    await signIn(s);
    const stored = await readFile(tokenFile(s.dataDir), 'utf8');
    await s.sim.close();
    clock.advanceS(3600);

    const res = await getAll(s.url);
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json.status).toBe('error');
    expect(res.json.message).toMatch(/^Evercycle token refresh unavailable: /);
    expect(await readFile(tokenFile(s.dataDir), 'utf8')).toBe(stored);
    const h = await health(s.url);
    expect(h.status).toBe('ok');
    expect(h.authenticated).toBe(false);
    expect(h.token_expires_in_s).toBe(0); // expired by the clock, but still held
  });

  async function scripted() {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    const gw = await startGateway(up.url, { now: clock.now, env: ONE_TRY });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    const stored = await readFile(tokenFile(gw.dataDir), 'utf8');
    return { clock, up, gw, stored };
  }

  it.each([
    ['503', (res: import('node:http').ServerResponse) => json(res, 503, { message: 'Service Unavailable' })],
    ['500 HTML', (res: import('node:http').ServerResponse) => res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>')],
    ['200 without tokens', (res: import('node:http').ServerResponse) => json(res, 200, { hello: 'world' })],
    ['a dropped connection', (res: import('node:http').ServerResponse) => res.socket?.destroy()],
  ])('refresh answered with %s: 502, tokens kept, a later refresh works without sign-in', async (_name, answer) => {
    const { clock, up, gw, stored } = await scripted();
    up.onRefresh = (_req, res) => answer(res);
    clock.advanceS(3600);

    const res = await getAll(gw.url);
    expect(res.status).toBe(502);
    expect(res.json.status).toBe('error');
    expect(typeof res.json.message).toBe('string');
    expect(up.data).toHaveLength(0);
    expect(await readFile(tokenFile(gw.dataDir), 'utf8')).toBe(stored);

    // The upstream is back: the same refresh token still works.
    up.onRefresh = up.defaults.refresh;
    const refreshTokenBefore = up.issued[0]!.RefreshToken;
    expect((await getAll(gw.url)).status).toBe(200);
    expect(up.signIns).toHaveLength(1);
    expect(JSON.parse(up.refreshes.at(-1)!.body.toString('utf8'))).toEqual({ refresh_token: refreshTokenBefore });
  });

  it('refresh that never answers: 504 after EVERCYCLE_TIMEOUT_MS, tokens kept', async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    const gw = await startGateway(up.url, { now: clock.now, env: { ...ONE_TRY, EVERCYCLE_TIMEOUT_MS: '300' } });
    cleanups.push(() => gw.close());
    expect((await postJson(gw.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
    const stored = await readFile(tokenFile(gw.dataDir), 'utf8');
    up.onRefresh = () => {}; // hang
    clock.advanceS(3600);
    const res = await getAll(gw.url);
    expect(res.status).toBe(504);
    expect(res.json.status).toBe('error');
    expect(res.json.message).toMatch(/^Evercycle token refresh timed out/);
    expect(up.data).toHaveLength(0);
    expect(await readFile(tokenFile(gw.dataDir), 'utf8')).toBe(stored);
  });

  it('with service credentials, an outage during refresh is not a reason to sign in', async () => {
    const clock = manualClock();
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    const gw = await startGateway(up.url, { now: clock.now, env: { ...ONE_TRY, EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'svc-pw' } });
    cleanups.push(() => gw.close());
    expect((await getAll(gw.url)).status).toBe(200);
    up.onRefresh = (_req, res) => json(res, 503, { message: 'Service Unavailable' });
    clock.advanceS(3600);
    const res = await getAll(gw.url);
    expect(res.status).toBe(502);
    expect(up.signIns).toHaveLength(1);
    expect(up.refreshes).toHaveLength(1);
  });
});
