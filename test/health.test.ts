// GET /health: the contract's shape plus an operator's summary, never a secret.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/raw-http.js';
import { startRecordingUpstream, UPSTREAM_TOKENS, type RecordingUpstream } from './helpers/recording-upstream.js';
import { REPO_ROOT, startGateway, type StartedGateway } from './helpers/stack.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const USERNAME = 'health-check-user@example.com';
const PASSWORD = 'health-pw-Zq81!xv';

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  // No service credentials: the gateway holds a token only after POST /api/auth.
  gw = await startGateway(upstream.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('GET /health', () => {
  it('answers the contract shape before any sign-in, with no token held', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      message: 'Evercycle API Server is running',
      version: PACKAGE_VERSION,
      upstream: upstream.url,
      authenticated: false,
      token_expires_in_s: null,
    });
    // Health is answered by the gateway alone.
    expect(upstream.requests).toHaveLength(0);
    expect(upstream.signIns).toBe(0);
  });

  it('reports the held token and its remaining lifetime after sign-in, and no secret', async () => {
    const auth = await fetch(`${gw.url}/api/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    });
    expect(auth.status).toBe(200);

    const res = await fetch(`${gw.url}/health`);
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(body.message).toBe('Evercycle API Server is running');
    expect(body.authenticated).toBe(true);
    // ExpiresIn is 3600 s; a few seconds may pass between sign-in and this call.
    expect(body.token_expires_in_s).toBeGreaterThan(3500);
    expect(body.token_expires_in_s).toBeLessThanOrEqual(3600);
    for (const secret of [PASSWORD, UPSTREAM_TOKENS.AccessToken, UPSTREAM_TOKENS.IdToken, UPSTREAM_TOKENS.RefreshToken, USERNAME]) {
      expect(text).not.toContain(secret);
    }
  });

  it('answers HEAD like GET without a body', async () => {
    const get = await rawRequest(gw.url, 'GET', '/health');
    const head = await rawRequest(gw.url, 'HEAD', '/health');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('%s /health is 405 with Allow and a JSON error', async (method) => {
    const res = await fetch(`${gw.url}/health`, { method });
    expect(res.status).toBe(405);
    const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim());
    expect(allow).toContain('GET');
    expect(allow).not.toContain(method);
    expect(await res.json()).toEqual({ status: 'error', message: expect.any(String) });
  });
});
