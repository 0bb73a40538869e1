// The method must match the definition: 405 with Allow otherwise; HEAD on a GET API is a
// GET without the body; unknown (or hostile) API names are 404 and reach nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/raw-http.js';
import { json, startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';

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
beforeEach(() => {
  upstream.requests.length = 0;
  upstream.respond = (_req, res) => json(res, 200, { ok: true });
});

const allowOf = (headers: Record<string, unknown>) =>
  String(headers.allow ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
    .sort();

describe('wrong method', () => {
  it.each([
    ['POST', '/api/get-all', ['GET', 'HEAD']],
    ['PUT', '/api/get-asset-id/1', ['GET', 'HEAD']],
    ['DELETE', '/api/by-org/1', ['GET', 'HEAD']],
    ['PATCH', '/api/programs-list', ['GET', 'HEAD']],
    ['OPTIONS', '/api/traking-list', ['GET', 'HEAD']],
    ['GET', '/api/create', ['POST']],
    ['PUT', '/api/create-request', ['POST']],
    ['GET', '/api/single-confirm', ['POST']],
    ['GET', '/api/auth-signin', ['POST']],
    ['HEAD', '/api/create', ['POST']],
    ['POST', '/api/edit-asset-id/1', ['PUT']],
    ['GET', '/api/grade/1/A', ['PUT']],
    ['PATCH', '/api/grade/1/A', ['PUT']],
  ])('%s %s -> 405, Allow: %j, JSON error, nothing upstream', async (method, target, allow) => {
    const body = method === 'GET' || method === 'HEAD' ? undefined : '{"price":1}';
    // Content-Length given explicitly: node:http sends a DELETE/OPTIONS body without framing.
    const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
    const res = await rawRequest(gw.url, method, target, { headers, body });
    expect(res.status).toBe(405);
    expect(allowOf(res.headers)).toEqual([...allow].sort());
    if (method !== 'HEAD') expect(res.json).toEqual({ status: 'error', message: expect.stringContaining(allow[0]!) });
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['GET', 'PUT', 'PATCH'])('%s /api/auth -> 405 with Allow: POST, DELETE', async (method) => {
    const signInsBefore = upstream.signIns;
    const res = await rawRequest(gw.url, method, '/api/auth');
    expect(res.status).toBe(405);
    expect(allowOf(res.headers)).toEqual(['DELETE', 'POST']);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.signIns).toBe(signInsBefore);
  });
});

describe('HEAD on a GET API', () => {
  it('answers like GET (status and headers) without a body, and calls the upstream with GET', async () => {
    upstream.respond = (_req, res) => json(res, 200, [{ id: 1, make: 'Dell' }, { id: 2, make: 'Apple' }], { 'x-total-count': '2' });
    const get = await rawRequest(gw.url, 'GET', '/api/get-all?page_num=1');
    const head = await rawRequest(gw.url, 'HEAD', '/api/get-all?page_num=1');
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ status: 'success', data: [{ id: 1, make: 'Dell' }, { id: 2, make: 'Apple' }] });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    for (const header of ['content-type', 'content-length', 'x-total-count']) {
      expect(head.headers[header], header).toBe(get.headers[header]);
    }
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/asset?page_num=1', 'GET /v1/asset?page_num=1']);
  });

  it('answers an upstream error like GET too', async () => {
    upstream.respond = (_req, res) => json(res, 404, { message: 'Asset not found' });
    const get = await rawRequest(gw.url, 'GET', '/api/get-asset-id/999');
    const head = await rawRequest(gw.url, 'HEAD', '/api/get-asset-id/999');
    expect(get.status).toBe(404);
    expect(head.status).toBe(404);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
  });
});

describe('unknown API names', () => {
  it('an unknown name is 404 JSON naming it', async () => {
    const res = await rawRequest(gw.url, 'GET', '/api/get-everything');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ status: 'error', message: expect.stringContaining('get-everything') });
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    '/api/..%2F..%2Fetc%2Fpasswd',
    '/api/..%2F..%2Fpackage.json',
    '/api/..%2Fapis%2Fget-all',
    '/api/..%5C..%5Cpackage.json',
    '/api/%2e%2e',
    '/api/%2E%2E/get-all',
    '/api/..',
    '/api/.',
    '/api/__proto__',
    '/api/constructor',
    '/api/prototype',
    '/api/hasOwnProperty',
    '/api/toString',
    '/api/get-all.json',
    '/api/GET-ALL',
    '/api/get-all%00',
    '/api/%20get-all',
    '/api/',
  ])('GET %s -> 404 JSON, nothing upstream', async (target) => {
    const res = await rawRequest(gw.url, 'GET', target);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['POST', 'PUT', 'DELETE'])('%s on __proto__ / constructor is 404 too (not 405, not 500)', async (method) => {
    for (const name of ['__proto__', 'constructor']) {
      const res = await rawRequest(gw.url, method, `/api/${name}`, { headers: { 'content-type': 'application/json', 'content-length': 2 }, body: '{}' });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ status: 'error' });
    }
    expect(upstream.requests).toHaveLength(0);
  });
});
