// Every error the gateway answers is JSON {"status":"error","message":...}: its own and the
// framework's (unknown route, malformed JSON, too large, bad URL encoding, malformed HTTP).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, rawSocket, type RawResponse } from './helpers/raw-http.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
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

function expectErrorShape(res: RawResponse, status: number): void {
  expect(res.status).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
  expect((res.json as { message: string }).message.length).toBeGreaterThan(0);
}

const jsonHeaders = (body: string) => ({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });

describe('unknown routes', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/index.html'],
    ['GET', '/api'],
    ['GET', '/health/extra'],
    ['POST', '/nope'],
    ['DELETE', '/v1/asset/1'],
    ['PROPFIND', '/nope'],
    ['PURGE', '/nope'],
    ['SEARCH', '/'],
  ])('%s %s -> 404 JSON', async (method, target) => {
    expectErrorShape(await rawRequest(gw.url, method, target), 404);
  });

  it('the 404 message names the path but not the query string', async () => {
    const res = await rawRequest(gw.url, 'GET', '/nope?token=should-not-echo');
    expectErrorShape(res, 404);
    expect(res.json.message).toContain('/nope');
    expect(res.text).not.toContain('should-not-echo');
  });
});

describe('bodies the framework refuses', () => {
  it.each(['/api/auth', '/api/create'])('malformed JSON on POST %s -> 400 JSON', async (target) => {
    const body = '{"username": "a", ';
    expectErrorShape(await rawRequest(gw.url, 'POST', target, { headers: jsonHeaders(body), body }), 400);
  });

  it.each(['/api/auth', '/api/create', '/nope'])('a body over 1 MiB on POST %s -> 413 JSON', async (target) => {
    const body = `{"x":"${'a'.repeat(1024 * 1024)}"}`;
    const res = await rawRequest(gw.url, 'POST', target, { headers: jsonHeaders(body), body });
    // An unknown route may be refused for its path before its body is looked at.
    expectErrorShape(res, target === '/nope' ? res.status : 413);
    expect([404, 413]).toContain(res.status);
  });

  it('a non-JSON content type on POST /api/auth -> 4xx JSON', async () => {
    const body = 'username=a&password=b';
    const res = await rawRequest(gw.url, 'POST', '/api/auth', { headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length }, body });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectErrorShape(res, res.status);
  });
});

describe('URLs the router cannot decode', () => {
  it.each(['/api/%zz', '/nope%zz', '/api/get-asset-id%E0%A4%A', '/api/%C0%AE%C0%AE'])('GET %s -> 400 JSON', async (target) => {
    const res = await rawRequest(gw.url, 'GET', target);
    expectErrorShape(res, 400);
    expect(upstream.requests).toHaveLength(0);
  });

  it('an API name longer than any name -> 4xx JSON', async () => {
    const res = await rawRequest(gw.url, 'GET', `/api/${'a'.repeat(300)}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectErrorShape(res, res.status);
  });
});

describe('requests that are not valid HTTP', () => {
  it.each([
    ['an unknown method', 'FOO /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\nConnection: close\r\n\r\n'],
    ['a malformed Content-Length', 'POST /api/create HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}'],
  ])('%s -> 400 JSON', async (_label, bytes) => {
    const res = await rawSocket(gw.url, bytes);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
  });

  it('headers over the size limit -> 431 JSON', async () => {
    const res = await rawSocket(gw.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
  });

  it('the gateway keeps serving afterwards', async () => {
    expect((await rawRequest(gw.url, 'GET', '/health')).status).toBe(200);
  });
});

describe("the gateway's own errors", () => {
  it('405 and 404 from the proxy are JSON too', async () => {
    expectErrorShape(await rawRequest(gw.url, 'POST', '/api/get-all', { headers: jsonHeaders('{}'), body: '{}' }), 405);
    expectErrorShape(await rawRequest(gw.url, 'GET', '/api/does-not-exist'), 404);
  });

  it('a 400 for a bad path parameter is JSON and names the parameter', async () => {
    const res = await rawRequest(gw.url, 'GET', '/api/get-asset-id/not-a-number');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ status: 'error', message: expect.stringContaining('id') });
  });

  it('a 400 for missing credentials on /api/auth is JSON', async () => {
    const body = '{"username":"only@example.com"}';
    const res = await rawRequest(gw.url, 'POST', '/api/auth', { headers: jsonHeaders(body), body });
    expectErrorShape(res, 400);
    expect(res.json.message).toContain('password');
  });
});
