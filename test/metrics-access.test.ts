// Who may scrape /metrics: with API keys, the admin role only (no key 401, read or write
// key 403), unless METRICS_PUBLIC=true; refused requests are counted like any other. And
// a scrape never shows a secret: not the service account's password, not a token, not an
// API key.
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.js';
import { writeKeys } from './helpers/keys.js';
import { scrape } from './helpers/metrics.js';
import { rawRequest } from './helpers/raw-http.js';
import { ONE_TRY, startStack, tempDir, type Stack } from './helpers/stack.js';
import { waitForTokenFile } from './helpers/tokens.js';

const REQUESTS = 'evercycle_gateway_http_requests_total';

let dir: string;
let file: string;
let keys: Record<'ops' | 'app' | 'dash', string>;

beforeAll(async () => {
  dir = await tempDir('evgw-metrics-access-');
  ({ file, keys } = await writeKeys(dir, { ops: { role: 'admin' }, app: { role: 'write' }, dash: { role: 'read' } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('with API keys', () => {
  it('no key 401, read and write keys 403, the admin key 200', async () => {
    stack = await startStack({ env: { ...ONE_TRY, API_KEYS_FILE: file } });
    const metrics = (headers: Record<string, string>) => rawRequest(stack!.url, 'GET', '/metrics', { headers });
    const none = await metrics({});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await metrics(bearer(keys.dash))).status).toBe(403);
    expect((await metrics({ 'x-api-key': keys.app })).status).toBe(403);
    const admin = await metrics(bearer(keys.ops));
    expect(admin.status).toBe(200);
    expect(admin.text).toContain('evercycle_gateway_http_requests_total');
    // The same rule for HEAD.
    expect((await rawRequest(stack.url, 'HEAD', '/metrics')).status).toBe(401);
    expect((await rawRequest(stack.url, 'HEAD', '/metrics', { headers: bearer(keys.ops) })).status).toBe(200);
  });

  it('refused requests are counted, under the API when it exists and `unknown` when not', async () => {
    stack = await startStack({ env: { ...ONE_TRY, API_KEYS_FILE: file } });
    expect((await rawRequest(stack.url, 'GET', '/metrics')).status).toBe(401);
    expect((await rawRequest(stack.url, 'GET', '/api/get-all')).status).toBe(401);
    expect((await rawRequest(stack.url, 'GET', '/api/no-such-api-1234')).status).toBe(401);
    expect((await rawRequest(stack.url, 'POST', '/api/create', { headers: bearer(keys.dash) })).status).toBe(403);
    const m = await scrape(stack.url, bearer(keys.ops));
    expect(m.value(REQUESTS, { api: '/metrics', method: 'GET', status: '401' })).toBe(1);
    expect(m.value(REQUESTS, { api: 'get-all', method: 'GET', status: '401' })).toBe(1);
    expect(m.value(REQUESTS, { api: 'unknown', method: 'GET', status: '401' })).toBe(1);
    expect(m.value(REQUESTS, { api: 'create', method: 'POST', status: '403' })).toBe(1);
    expect(m.text).not.toContain('no-such-api-1234');
  });

  it('METRICS_PUBLIC=true: open to every client, keys or none', async () => {
    stack = await startStack({ env: { ...ONE_TRY, API_KEYS_FILE: file, METRICS_PUBLIC: 'true' } });
    expect((await rawRequest(stack.url, 'GET', '/metrics')).status).toBe(200);
    expect((await rawRequest(stack.url, 'GET', '/metrics', { headers: bearer(keys.dash) })).status).toBe(200);
    // Only /metrics is opened.
    expect((await rawRequest(stack.url, 'GET', '/api/list')).status).toBe(401);
  });
});

describe('secrets', () => {
  it('a scrape after a whole session contains no password, token or API key', async () => {
    const password = `pw-${DEMO_ACCOUNT.password}-not-in-metrics`;
    stack = await startStack({
      env: { ...ONE_TRY, API_KEYS_FILE: file, EVERCYCLE_USERNAME: DEMO_ACCOUNT.username, EVERCYCLE_PASSWORD: DEMO_ACCOUNT.password },
    });
    const s = stack;
    const tokens = await waitForTokenFile(s.dataDir);
    // A rejected POST /api/auth with another password, a call with every key.
    const auth = await rawRequest(s.url, 'POST', '/api/auth', {
      headers: { ...bearer(keys.ops), 'content-type': 'application/json' },
      body: JSON.stringify({ username: DEMO_ACCOUNT.username, password }),
    });
    expect(auth.status).toBe(401);
    for (const key of Object.values(keys)) expect((await rawRequest(s.url, 'GET', '/api/get-asset-id/1', { headers: { 'x-api-key': key } })).status).toBe(200);

    const m = await scrape(s.url, bearer(keys.ops));
    expect(m.value('evercycle_gateway_signins_total', { result: 'success', source: 'service_account' })).toBe(1);
    const secrets = [DEMO_ACCOUNT.password, password, tokens.accessToken, tokens.idToken, tokens.refreshToken, ...Object.values(keys)];
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(5);
      expect(m.text).not.toContain(secret);
    }
    // Nor the service account's name: nothing in the metrics needs it.
    expect(m.text).not.toContain(DEMO_ACCOUNT.username);
  });
});
