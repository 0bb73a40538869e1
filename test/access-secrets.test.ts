// API keys never leak: not into the logs (a whole session: sign-in, calls, refusals, wrong
// keys, at log level trace), not into error bodies, and not upstream (the client's
// Authorization and X-API-Key headers are never forwarded). The request log line names
// the authenticated client.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../src/access/keys.js';
import { writeKeys } from './helpers/keys.js';
import { rawRequest } from './helpers/raw-http.js';
import { startRecordingUpstream, UPSTREAM_TOKENS, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, startStack, tempDir, type Stack, type StartedGateway } from './helpers/stack.js';

let dir: string;
let file: string;
let keys: Record<'ops' | 'dash', string>;

beforeAll(async () => {
  dir = await tempDir('evgw-access-secrets-');
  ({ file, keys } = await writeKeys(dir, { ops: { role: 'admin' }, dash: { role: 'read', apis: ['get-asset-id'] } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a full session at log level trace', () => {
  let stack: Stack;
  const wrong = generateKey();
  const bodies: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { API_KEYS_FILE: file, LOG_LEVEL: 'trace' } });
    const send = async (method: string, target: string, headers: Record<string, string>, body?: unknown) => {
      const res = await rawRequest(stack.url, method, target, {
        headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      bodies.push(res.text);
      return res;
    };
    expect((await send('POST', '/api/auth', { authorization: `Bearer ${keys.ops}` }, stack.sim.demo)).status).toBe(200);
    expect((await send('GET', '/api/get-asset-id/1', { 'x-api-key': keys.dash })).status).toBe(200);
    expect((await send('GET', '/api/get-all', { 'x-api-key': keys.dash })).status).toBe(403);
    expect((await send('POST', '/api/auth', { authorization: `Bearer ${keys.dash}` }, stack.sim.demo)).status).toBe(403);
    expect((await send('GET', '/api/list', { authorization: `Bearer ${wrong}` })).status).toBe(401);
    expect((await send('GET', '/api/list', { 'x-api-key': wrong })).status).toBe(401);
    expect((await send('GET', '/api/list', { authorization: `Bearer ${keys.dash}`, 'x-api-key': keys.ops })).status).toBe(401);
    expect((await send('GET', '/api/get-asset-id/999999', { 'x-api-key': keys.dash })).status).toBe(404);
    expect((await send('GET', '/api/get-asset-id/abc', { 'x-api-key': keys.dash })).status).toBe(400);
    expect((await send('POST', '/api/auth', { authorization: `Bearer ${keys.ops}` }, { username: 'x', password: 'y' })).status).toBe(401);
    expect((await send('GET', '/health', { 'x-api-key': wrong })).status).toBe(200);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('no key (valid or wrong), nor its random part, appears in any log line', () => {
    expect(stack.logs.lines.length).toBeGreaterThan(10);
    for (const key of [keys.ops, keys.dash, wrong]) {
      expect(stack.logs.text).not.toContain(key);
      expect(stack.logs.text).not.toContain(key.slice(4, 24));
    }
  });

  it('no key appears in any answer', () => {
    for (const key of [keys.ops, keys.dash, wrong]) {
      for (const body of bodies) expect(body).not.toContain(key.slice(4, 24));
    }
  });

  it('the request log line names the authenticated client, and only then', () => {
    const lines = stack.logs.entries().filter((e) => e.msg === 'request completed');
    const byPathStatus = (path: string, status: number) => lines.filter((l) => l.path === path && l.status === status);
    expect(byPathStatus('/api/auth', 200)[0]).toMatchObject({ client: 'ops' });
    expect(byPathStatus('/api/get-asset-id/1', 200)[0]).toMatchObject({ client: 'dash', api: 'get-asset-id' });
    expect(byPathStatus('/api/get-all', 403)[0]).toMatchObject({ client: 'dash' });
    for (const l of byPathStatus('/api/list', 401)) expect(l).not.toHaveProperty('client');
  });
});

describe('upstream', () => {
  let up: RecordingUpstream;
  let gw: StartedGateway;
  beforeAll(async () => {
    up = await startRecordingUpstream();
    gw = await startGateway(up.url, { env: { API_KEYS_FILE: file } });
    const auth = await rawRequest(gw.url, 'POST', '/api/auth', {
      headers: { authorization: `Bearer ${keys.ops}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'u', password: 'p' }),
    });
    expect(auth.status).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  it.each([
    ['Authorization: Bearer', () => ({ authorization: `Bearer ${keys.dash}` })],
    ['X-API-Key', () => ({ 'x-api-key': keys.dash })],
    ['both', () => ({ authorization: `Bearer ${keys.dash}`, 'x-api-key': keys.dash })],
  ])("the client's key (%s) is never forwarded: the upstream sees the Evercycle token only", async (_name, headers) => {
    up.requests.length = 0;
    expect((await rawRequest(gw.url, 'GET', '/api/get-asset-id/1', { headers: headers() })).status).toBe(200);
    expect(up.requests).toHaveLength(1);
    const sent = up.requests[0]!;
    expect(sent.headers.authorization).toBe(UPSTREAM_TOKENS.IdToken);
    expect(sent.headers['x-api-key']).toBeUndefined();
    expect(JSON.stringify(sent.headers)).not.toContain(keys.dash.slice(4));
  });

  it('the sign-in to the upstream carries no key either', () => {
    const signIn = up.authRequests.find((r) => r.url === '/v1/auth/signin')!;
    expect(JSON.stringify(signIn.headers)).not.toContain(keys.ops.slice(4));
    expect(signIn.body.toString('utf8')).not.toContain(keys.ops.slice(4));
  });
});
