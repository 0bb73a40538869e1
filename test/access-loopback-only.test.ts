// Without API keys only clients on this machine may call the gateway. The client address
// is the one TRUST_PROXY resolves, so a reverse proxy on loopback does not turn remote
// callers into local ones (a regression found in review: behind Caddy, without keys,
// anyone could re-point the gateway through /api/auth).
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/raw-http.js';
import { startStack, type Stack } from './helpers/stack.js';

const LOOPBACK_ONLY = { status: 'error', message: 'this gateway has no API keys configured (API_KEYS_FILE): only clients on this machine may call it' };
const REMOTE = { 'x-forwarded-for': '203.0.113.99' };
const AUTH_BODY = JSON.stringify({ username: 'it-admin@northwind.example', password: 'secret' });

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('no API keys, behind a trusted proxy on loopback', () => {
  it('a remote client (by X-Forwarded-For) is refused with 403 everywhere but /health and /ready, and nothing reaches Evercycle', async () => {
    stack = await startStack({ env: { TRUST_PROXY: '127.0.0.1' } });
    const auth = await rawRequest(stack.url, 'POST', '/api/auth', { headers: { ...REMOTE, 'content-type': 'application/json' }, body: AUTH_BODY });
    expect(auth.status).toBe(403);
    expect(auth.json).toEqual(LOOPBACK_ONLY);
    for (const target of ['/api/list', '/api/get-asset-id/1', '/nope']) {
      const res = await rawRequest(stack.url, 'GET', target, { headers: REMOTE });
      expect(res.status, target).toBe(403);
    }
    expect((await rawRequest(stack.url, 'GET', '/health', { headers: REMOTE })).status).toBe(200);
    expect((await rawRequest(stack.url, 'GET', '/ready', { headers: REMOTE })).status).toBe(200);
    expect(stack.sim.calls()).toEqual({});
  });

  it('a local client (no X-Forwarded-For) is served', async () => {
    stack = await startStack({ env: { TRUST_PROXY: '127.0.0.1' } });
    const res = await rawRequest(stack.url, 'POST', '/api/auth', { headers: { 'content-type': 'application/json' }, body: AUTH_BODY });
    expect(res.status).toBe(200);
  });

  it('without TRUST_PROXY a forged X-Forwarded-For is ignored: the loopback client is served', async () => {
    stack = await startStack();
    expect((await rawRequest(stack.url, 'GET', '/api/list', { headers: REMOTE })).status).toBe(200);
  });

  it('INSECURE_ALLOW_UNAUTHENTICATED=true serves remote clients too (the operator said so)', async () => {
    stack = await startStack({ env: { TRUST_PROXY: '127.0.0.1', INSECURE_ALLOW_UNAUTHENTICATED: 'true' } });
    expect((await rawRequest(stack.url, 'GET', '/api/list', { headers: REMOTE })).status).toBe(200);
  });
});
