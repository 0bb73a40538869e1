// Response hardening: X-Content-Type-Options: nosniff on every answer, Cache-Control:
// no-store on everything under /api/ (errors included), no X-Powered-By, no upstream
// Set-Cookie; CORS off by default, and with CORS_ORIGINS exactly that allow-list
// (preflights answered, other origins get no CORS header at all).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../src/config.js';
import { rawRequest, rawSocket, type RawResponse } from './helpers/raw-http.js';
import { json, startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { signIn, startGateway, startStack, type Stack, type StartedGateway } from './helpers/stack.js';

const JSON_BODY = (body: string) => ({ headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body });

describe('hardening headers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await signIn(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  // Every kind of answer: routes, proxied success and upstream error, our own 4xx, the
  // framework's (bad URL, body too large), not found, method not allowed.
  const api: [string, () => Promise<RawResponse>, number][] = [
    ['a proxied success', () => rawRequest(stack.url, 'GET', '/api/get-all?per_page=1'), 200],
    ['an upstream 404', () => rawRequest(stack.url, 'GET', '/api/get-asset-id/999999'), 404],
    ['the API list', () => rawRequest(stack.url, 'GET', '/api/list'), 200],
    ['an unknown API', () => rawRequest(stack.url, 'GET', '/api/nope'), 404],
    ['a bad path parameter', () => rawRequest(stack.url, 'GET', '/api/get-asset-id/abc'), 400],
    ['a method not allowed', () => rawRequest(stack.url, 'DELETE', '/api/get-all'), 405],
    ['a URL the router cannot decode', () => rawRequest(stack.url, 'GET', '/api/%zz'), 400],
    ['malformed JSON', () => rawRequest(stack.url, 'POST', '/api/create', JSON_BODY('{')), 400],
    ['a schema error', () => rawRequest(stack.url, 'PUT', '/api/grade/1/A', JSON_BODY('{"price":"x"}')), 400],
    ['a body too large', () => rawRequest(stack.url, 'POST', '/api/create', JSON_BODY(`"${'a'.repeat(1024 * 1024)}"`)), 413],
    ['a URL too long', () => rawRequest(stack.url, 'GET', `/api/get-all?q=${'a'.repeat(9000)}`), 414],
    ['a failed sign-in', () => rawRequest(stack.url, 'POST', '/api/auth', JSON_BODY('{"username":"x","password":"y"}')), 401],
  ];
  it.each(api)('%s under /api/: nosniff and no-store', async (_label, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  const other: [string, () => Promise<RawResponse>, number][] = [
    ['/health', () => rawRequest(stack.url, 'GET', '/health'), 200],
    ['/ready', () => rawRequest(stack.url, 'GET', '/ready'), 200],
    ['an unknown path', () => rawRequest(stack.url, 'GET', '/nope'), 404],
    ['a method not allowed on /health', () => rawRequest(stack.url, 'POST', '/health', JSON_BODY('{}')), 405],
  ];
  it.each(other)('%s: nosniff, no X-Powered-By', async (_label, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers written by the HTTP-parser error handler carry them too', async () => {
    for (const bytes of ['FOO /api/get-all HTTP/1.1\r\nHost: x\r\n\r\n', `GET /api/get-all HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]) {
      const res = await rawSocket(stack.url, bytes);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });
});

describe('upstream headers', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startGateway(upstream.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw' } });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('Set-Cookie, X-Powered-By and the upstream Cache-Control never reach the client', async () => {
    for (const status of [200, 400, 500]) {
      upstream.respond = (_req, res) =>
        json(res, status, { ok: status === 200 }, { 'set-cookie': ['AWSALB=abc; Path=/', 'session=s3cret; HttpOnly'], 'x-powered-by': 'Express', 'cache-control': 'public, max-age=3600' });
      const res = await rawRequest(gw.url, 'GET', '/api/get-all');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toContain('s3cret');
    }
  });
});

describe('CORS', () => {
  const ALLOWED = 'https://app.example.com';
  const ALSO_ALLOWED = 'http://localhost:3000';
  const OTHER = 'https://evil.example';
  const preflight = (url: string, origin: string, target = '/api/grade/1/A', method = 'PUT') =>
    rawRequest(url, 'OPTIONS', target, { headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type, x-api-key' } });

  describe('off by default', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
      await signIn(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('no CORS header on any answer, whatever the Origin', async () => {
      const res = await rawRequest(stack.url, 'GET', '/api/get-all?per_page=1', { headers: { origin: ALLOWED } });
      expect(res.status).toBe(200);
      for (const h of Object.keys(res.headers)) expect(h).not.toMatch(/^access-control-/);
    });

    it('a preflight is an ordinary OPTIONS: 405 JSON, nothing upstream', async () => {
      stack.sim.resetCalls();
      const res = await preflight(stack.url, ALLOWED);
      expect(res.status).toBe(405);
      expect(res.json).toMatchObject({ status: 'error' });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(stack.sim.calls()).toEqual({});
    });
  });

  describe('with CORS_ORIGINS', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ env: { CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` } });
      await signIn(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    it.each([ALLOWED, ALSO_ALLOWED])('a preflight from %s is answered 204 with the allowed methods and headers, without reaching the upstream', async (origin) => {
      stack.sim.resetCalls();
      const res = await preflight(stack.url, origin);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(String(res.headers['access-control-allow-methods']).split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
      expect(res.headers['access-control-allow-headers']).toBe('content-type, x-api-key');
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(res.headers.vary)).toMatch(/origin/i);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(stack.sim.calls()).toEqual({});
    });

    it('preflights work for every route, /health and unknown APIs included', async () => {
      for (const target of ['/api/get-all', '/api/auth', '/api/list', '/health', '/api/nope']) {
        const res = await preflight(stack.url, ALLOWED, target, 'GET');
        expect(res.status, target).toBe(204);
        expect(res.headers['access-control-allow-origin'], target).toBe(ALLOWED);
      }
    });

    it('an actual request from an allowed origin carries Access-Control-Allow-Origin and the exposed headers', async () => {
      const res = await rawRequest(stack.url, 'GET', '/api/get-all?per_page=1', { headers: { origin: ALLOWED } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(String(res.headers['access-control-expose-headers'])).toMatch(/x-request-id/);
      expect(String(res.headers['access-control-expose-headers'])).toMatch(/retry-after/);
      expect(String(res.headers.vary)).toMatch(/origin/i);
    });

    it.each([OTHER, 'https://app.example.com.evil.example', 'http://app.example.com', 'https://APP.example.com', 'null'])(
      'origin %s gets no CORS header at all, and its preflight is an ordinary OPTIONS (405)',
      async (origin) => {
        const actual = await rawRequest(stack.url, 'GET', '/api/get-all?per_page=1', { headers: { origin } });
        expect(actual.status).toBe(200);
        for (const h of Object.keys(actual.headers)) expect(h).not.toMatch(/^access-control-/);
        stack.sim.resetCalls();
        const pre = await preflight(stack.url, origin);
        expect(pre.status).toBe(405);
        expect(pre.json).toMatchObject({ status: 'error' });
        for (const h of Object.keys(pre.headers)) expect(h).not.toMatch(/^access-control-/);
        expect(stack.sim.calls()).toEqual({});
      },
    );

    it('requests without an Origin are unaffected (an OPTIONS is still 405 JSON)', async () => {
      const res = await rawRequest(stack.url, 'OPTIONS', '/api/get-all');
      expect(res.status).toBe(405);
      expect(res.json).toMatchObject({ status: 'error' });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect((await rawRequest(stack.url, 'OPTIONS', '/nope')).status).toBe(404);
    });
  });

  it.each(['*', 'https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'ftp://files.example.com', 'https://ok.example, *'])(
    'CORS_ORIGINS=%j is refused at start-up',
    (value) => {
      expect(() => loadSettings({ CORS_ORIGINS: value })).toThrow(SettingsError);
    },
  );

  it('CORS_ORIGINS accepts exact origins with ports', () => {
    expect(loadSettings({ CORS_ORIGINS: 'https://app.example.com,http://localhost:3000, http://[::1]:8080' }).corsOrigins).toBeDefined();
  });
});
