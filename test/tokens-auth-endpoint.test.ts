// POST /api/auth: the contract's answers, and what a successful sign-in makes possible.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/raw-http.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream, type ScriptedResponder, type ScriptedUpstream } from './helpers/scripted-upstream.js';
import { startGateway, startStack, type StartedGateway, type Stack } from './helpers/stack.js';
import { count, getAll, health, LIST, postJson, REFRESH, SIGNIN } from './helpers/tokens.js';

const TTL_S = 900;
let stack: Stack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function start(): Promise<Stack> {
  stack = await startStack({ simulator: { tokenTtlS: TTL_S } });
  return stack;
}

describe('POST /api/auth', () => {
  it('answers 200 success with the demo account, stores the tokens, and proxied calls work', async () => {
    const s = await start();
    const before = await getAll(s.url);
    expect(before.status).toBe(401);
    expect(before.json).toEqual({ status: 'error', message: 'not authenticated: POST /api/auth first' });
    expect(count(s.sim.calls(), LIST)).toBe(0);

    const res = await postJson(s.url, '/api/auth', s.sim.demo);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', message: 'Authentication successful' });
    expect(s.sim.calls()[SIGNIN]).toBe(1);

    const call = await getAll(s.url);
    expect(call.status).toBe(200);
    expect(call.json.status).toBe('success');
    expect(call.json.data).toHaveLength(2);
    expect(count(s.sim.calls(), LIST)).toBe(1);
    expect(count(s.sim.calls(), REFRESH)).toBe(0);
    expect(count(s.sim.calls(), SIGNIN)).toBe(1);
  });

  it('/health shows authenticated true and the simulator lifetime after sign-in', async () => {
    const s = await start();
    const h0 = await health(s.url);
    expect(h0.authenticated).toBe(false);
    expect(h0.token_expires_in_s).toBeNull();

    expect((await postJson(s.url, '/api/auth', s.sim.demo)).status).toBe(200);
    const h = await health(s.url);
    expect(h.status).toBe('ok');
    expect(h.authenticated).toBe(true);
    expect(h.token_expires_in_s).toBeGreaterThanOrEqual(TTL_S - 5);
    expect(h.token_expires_in_s).toBeLessThanOrEqual(TTL_S);
  });

  it('answers 401 for a wrong password and stores nothing', async () => {
    const s = await start();
    const res = await postJson(s.url, '/api/auth', { username: s.sim.demo.username, password: 'not-the-password' });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ status: 'error', message: 'Authentication failed' });
    expect(s.sim.calls()[SIGNIN]).toBe(1);
    expect((await health(s.url)).authenticated).toBe(false);
    expect((await getAll(s.url)).status).toBe(401);
    expect(count(s.sim.calls(), LIST)).toBe(0);
  });

  it('a wrong password after a good sign-in keeps the tokens already held', async () => {
    const s = await start();
    expect((await postJson(s.url, '/api/auth', s.sim.demo)).status).toBe(200);
    expect((await postJson(s.url, '/api/auth', { username: s.sim.demo.username, password: 'nope' })).status).toBe(401);
    expect((await getAll(s.url)).status).toBe(200);
  });

  // Regression: the 400 used to carry JSON.parse's message, which quotes the text around
  // the error: here, the whole password.
  it('a malformed body is not echoed back: an unquoted password stays out of the 400', async () => {
    const s = await start();
    const res = await rawRequest(s.url, 'POST', '/api/auth', {
      headers: { 'content-type': 'application/json' },
      body: '{"username":"user@example.com","password": hunter2}',
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ status: 'error', message: 'request body is not valid JSON' });
    expect(res.text).not.toContain('hunter2');
    expect(s.logs.text).not.toContain('hunter2');
  });

  it('answers 405 with Allow: POST, DELETE for GET /api/auth', async () => {
    const s = await start();
    const res = await rawRequest(s.url, 'GET', '/api/auth');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, DELETE');
    expect(res.json.status).toBe('error');
  });
});

describe('POST /api/auth: bad requests', () => {
  let shared: Stack;
  beforeAll(async () => {
    shared = await startStack();
  });
  afterAll(async () => {
    await shared.close();
  });
  beforeEach(() => {
    shared.sim.resetCalls();
  });

  const badRequests: [string, { headers?: Record<string, string>; body?: string }, string][] = [
    ['missing username', { headers: { 'content-type': 'application/json' }, body: '{"password":"secret"}' }, 'Missing username'],
    ['missing password', { headers: { 'content-type': 'application/json' }, body: '{"username":"user@example.com"}' }, 'Missing password'],
    ['empty username', { headers: { 'content-type': 'application/json' }, body: '{"username":"","password":"secret"}' }, 'Missing username'],
    ['non-string password', { headers: { 'content-type': 'application/json' }, body: '{"username":"user@example.com","password":123}' }, 'Missing password'],
    ['both missing', { headers: { 'content-type': 'application/json' }, body: '{}' }, 'Missing username and password'],
    ['a JSON array', { headers: { 'content-type': 'application/json' }, body: '[]' }, 'Missing username and password'],
    ['JSON null', { headers: { 'content-type': 'application/json' }, body: 'null' }, 'Missing username and password'],
    ['empty body with a JSON type', { headers: { 'content-type': 'application/json' }, body: '' }, 'Missing username and password'],
    ['no body at all', {}, 'Missing username and password'],
  ];
  it.each(badRequests)('answers 400 for %s, without calling upstream', async (_name, init, message) => {
    const s = shared;
    const res = await rawRequest(s.url, 'POST', '/api/auth', init);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ status: 'error', message });
    expect(count(s.sim.calls(), SIGNIN)).toBe(0);
  });

  it.each([
    ['with a JSON type', { 'content-type': 'application/json' }],
    ['without a content type', {} as Record<string, string>],
    ['as a form post', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('answers 400 JSON for a body that is not JSON (%s)', async (_name, headers) => {
    const s = shared;
    const body = headers['content-type']?.startsWith('application/x-www') ? 'username=user%40example.com&password=secret' : '{"username": "user@example.com", ';
    const res = await rawRequest(s.url, 'POST', '/api/auth', { headers, body });
    expect(res.status).toBe(400);
    expect(res.json.status).toBe('error');
    expect(res.json.message).toMatch(/not valid JSON|must be JSON/);
    expect(res.text).not.toContain('secret');
    expect(count(s.sim.calls(), SIGNIN)).toBe(0);
  });
});

describe('POST /api/auth: what the upstream answers', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function gatewayWithSignIn(answer: ScriptedResponder): Promise<{ gw: StartedGateway; up: ScriptedUpstream }> {
    const up = await startScriptedUpstream();
    cleanups.push(() => up.close());
    up.onSignIn = answer;
    const gw = await startGateway(up.url);
    cleanups.push(() => gw.close());
    return { gw, up };
  }
  const creds = { username: 'u@example.com', password: 'pw' };

  it('sends {"username","password"} as JSON to /v1/auth/signin', async () => {
    const { gw, up } = await gatewayWithSignIn((req, res) => up.defaults.signIn(req, res));
    expect((await postJson(gw.url, '/api/auth', { ...creds, extra: 1 })).status).toBe(200);
    expect(up.signIns).toHaveLength(1);
    expect(up.signIns[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(up.signIns[0]!.body.toString('utf8'))).toEqual(creds);
  });

  it.each([400, 401, 403])('upstream %i (Cognito answers 400 for a wrong password) -> 401', async (status) => {
    const { gw } = await gatewayWithSignIn((_req, res) => json(res, status, { message: 'Incorrect username or password.' }));
    const res = await postJson(gw.url, '/api/auth', creds);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ status: 'error', message: 'Authentication failed' });
  });

  it('upstream 500 -> 502, not 401: the credentials were not judged', async () => {
    const { gw } = await gatewayWithSignIn((_req, res) => json(res, 500, { message: 'Internal error' }));
    const res = await postJson(gw.url, '/api/auth', creds);
    expect(res.status).toBe(502);
    expect(res.json.status).toBe('error');
    expect((await health(gw.url)).authenticated).toBe(false);
  });

  it('upstream unreachable -> 502', async () => {
    const { gw, up } = await gatewayWithSignIn((req, res) => up.defaults.signIn(req, res));
    await up.close();
    const res = await postJson(gw.url, '/api/auth', creds);
    expect(res.status).toBe(502);
    expect(res.json.status).toBe('error');
  });

  it('a 200 without usable tokens -> 502 and nothing stored', async () => {
    const { gw } = await gatewayWithSignIn((_req, res) => json(res, 200, { AuthenticationResult: { AccessToken: 'a', ExpiresIn: 3600 } }));
    const res = await postJson(gw.url, '/api/auth', creds);
    expect(res.status).toBe(502);
    expect(res.json.status).toBe('error');
    expect((await health(gw.url)).authenticated).toBe(false);
  });

  it('reads the lifetime from ExpiresIn (here 120 s), not an assumed 3600', async () => {
    const { gw, up } = await gatewayWithSignIn((_req, res) =>
      json(res, 200, { AuthenticationResult: { AccessToken: 'acc-x', IdToken: 'id-x', RefreshToken: 'ref-x', ExpiresIn: 120 } }),
    );
    expect((await postJson(gw.url, '/api/auth', creds)).status).toBe(200);
    const h = await health(gw.url);
    expect(h.token_expires_in_s).toBeGreaterThanOrEqual(118);
    expect(h.token_expires_in_s).toBeLessThanOrEqual(120);
    expect(up.signIns).toHaveLength(1);
  });
});
