// How upstream answers reach the client: 2xx wrapped as success (status kept, 204 -> 200
// with data null), non-JSON as a string, empty as null, compressed bodies decoded; 4xx
// kept as an error with upstream_status and details; 3xx/5xx -> 502; Set-Cookie dropped,
// Retry-After passed on.
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/raw-http.js';
import { json, startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { ONE_TRY, startGateway, type StartedGateway } from './helpers/stack.js';

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gw = await startGateway(upstream.url, { env: { ...ONE_TRY, EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw' } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

/** Make the upstream answer exactly this. */
function answer(status: number, body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): void {
  upstream.respond = (_req, res) => {
    res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };
}

const get = (target = '/api/get-all') => rawRequest(gw.url, 'GET', target);
const ASSET = { id: 7, make: 'Apple', model: 'MacBook Air 13', serial_number: 'C02Z91XYLVDL', grade: 'A', notes: 'Grüße 😀' };

describe('upstream 2xx', () => {
  it('200 JSON -> 200 {"status":"success","data":<upstream JSON>}', async () => {
    upstream.respond = (_req, res) => json(res, 200, ASSET);
    const res = await get('/api/get-asset-id/7');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({ status: 'success', data: ASSET });
  });

  it.each([
    [[1, 2, 3]],
    ['just a JSON string'],
    [42],
    [false],
    [null],
  ])('any JSON value (%j) becomes data as is', async (value) => {
    upstream.respond = (_req, res) => json(res, 200, value);
    expect((await get()).json).toEqual({ status: 'success', data: value });
  });

  it('201 is kept', async () => {
    upstream.respond = (_req, res) => json(res, 201, { id: 251, created_at: '2025-01-01T00:00:00.000Z' });
    const res = await rawRequest(gw.url, 'POST', '/api/create', { headers: { 'content-type': 'application/json', 'content-length': 2 }, body: '{}' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ status: 'success', data: { id: 251, created_at: '2025-01-01T00:00:00.000Z' } });
  });

  it('202 is kept', async () => {
    upstream.respond = (_req, res) => json(res, 202, { queued: true });
    const res = await get();
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'success', data: { queued: true } });
  });

  it('204 -> 200 with data null (a 204 cannot carry the promised envelope)', async () => {
    upstream.respond = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const res = await rawRequest(gw.url, 'PUT', '/api/edit-asset-id/3', { headers: { 'content-type': 'application/json', 'content-length': 13 }, body: '{"make":"HP"}' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', data: null });
  });

  it('an empty 200 body -> data null', async () => {
    answer(200, '', { 'content-type': 'application/json' });
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', data: null });
  });

  it.each([
    ['text/plain', 'OK, done'],
    ['text/html; charset=utf-8', '<html><body>fine</body></html>'],
    ['application/json', 'this is not json after all'],
  ])('a non-JSON 2xx body (%s) -> data is the text', async (contentType, text) => {
    answer(200, text, { 'content-type': contentType });
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', data: text });
  });

  it.each(['application/json; charset=utf-8', 'application/vnd.api+json', 'application/problem+json'])('JSON labelled %s is parsed', async (contentType) => {
    answer(200, '{"a":[1,{"b":null}]}', { 'content-type': contentType });
    expect((await get()).json).toEqual({ status: 'success', data: { a: [1, { b: null }] } });
  });

  it('JSON without any content type is parsed', async () => {
    answer(200, '{"unlabelled":true}');
    expect((await get()).json).toEqual({ status: 'success', data: { unlabelled: true } });
  });
});

describe('compressed upstream answers', () => {
  const big = { items: Array.from({ length: 2000 }, (_, i) => ({ ...ASSET, id: i + 1 })) };
  const text = JSON.stringify(big);

  it.each([
    ['gzip', zlib.gzipSync],
    ['x-gzip', zlib.gzipSync],
    ['br', zlib.brotliCompressSync],
    ['deflate', zlib.deflateSync],
  ] as const)('%s: the client gets the decoded JSON, with no Content-Encoding left on it', async (encoding, compress) => {
    const packed = compress(Buffer.from(text));
    expect(packed.length).toBeLessThan(text.length / 4);
    answer(200, packed, { 'content-type': 'application/json', 'content-encoding': encoding });
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    expect(res.json).toEqual({ status: 'success', data: big });
  });

  it('a compressed 4xx error body is decoded into message and details', async () => {
    const body = zlib.gzipSync(JSON.stringify({ message: 'Asset not found', id: 9 }));
    answer(404, body, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const res = await get('/api/get-asset-id/9');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ status: 'error', message: 'Asset not found', upstream_status: 404, details: { message: 'Asset not found', id: 9 } });
  });

  it('a body labelled gzip that is not gzip -> 502 JSON, never garbage as data', async () => {
    answer(200, '{"not":"compressed"}', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ status: 'error', message: expect.any(String) });
  });

  it('an unknown content encoding -> 502 JSON', async () => {
    answer(200, 'zzzz', { 'content-type': 'application/json', 'content-encoding': 'compress' });
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ status: 'error' });
  });
});

describe('upstream 4xx', () => {
  it.each([400, 403, 404, 409, 410, 422, 429])('%i keeps its status, with message, upstream_status and details', async (status) => {
    const details = { message: `upstream says ${status}`, errors: [{ field: 'serial_number', message: 'is required' }] };
    upstream.respond = (_req, res) => json(res, status, details);
    const res = await get();
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ status: 'error', message: `upstream says ${status}`, upstream_status: status, details });
  });

  it.each([
    [{ Message: 'Cognito style' }, 'Cognito style'],
    [{ error: 'invalid_request', error_description: 'described' }, 'described'],
    [{ detail: 'problem detail', title: 'Bad' }, 'problem detail'],
  ])('the upstream message is taken from %j', async (details, message) => {
    upstream.respond = (_req, res) => json(res, 400, details);
    const res = await get();
    expect(res.json).toEqual({ status: 'error', message, upstream_status: 400, details });
  });

  it('an HTML 404 still gives the JSON error shape, with the HTML as details', async () => {
    const html = '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>';
    answer(404, html, { 'content-type': 'text/html' });
    const res = await get('/api/get-asset-id/12345');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({ status: 'error', message: expect.stringContaining('404'), upstream_status: 404, details: html });
  });

  it('an empty 4xx body still gives the JSON error shape, details null', async () => {
    answer(403, '');
    const res = await get();
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ status: 'error', message: expect.stringContaining('403'), upstream_status: 403, details: null });
  });
});

describe('upstream 5xx and 3xx', () => {
  it.each([500, 502, 503, 504])('%i -> 502 with upstream_status and details', async (status) => {
    upstream.respond = (_req, res) => json(res, status, { message: 'database on fire' });
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ status: 'error', message: 'database on fire', upstream_status: status, details: { message: 'database on fire' } });
  });

  it('an HTML 503 from a load balancer -> 502 JSON with upstream_status 503', async () => {
    const html = '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>';
    answer(503, html, { 'content-type': 'text/html' });
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String), upstream_status: 503, details: html });
  });

  it('an empty 500 -> 502 JSON, details null', async () => {
    answer(500, '');
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ status: 'error', message: expect.stringContaining('500'), upstream_status: 500, details: null });
  });

  it('a redirect is not followed: 502 with upstream_status, and no Location passed on', async () => {
    answer(302, '', { location: 'https://elsewhere.example/login' });
    const res = await get();
    expect(res.status).toBe(502);
    expect(res.json).toMatchObject({ status: 'error', upstream_status: 302 });
    expect(res.headers.location).toBeUndefined();
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('upstream response headers', () => {
  it('Set-Cookie never reaches the client, on success or error', async () => {
    upstream.respond = (_req, res) => json(res, 200, { ok: true }, { 'set-cookie': ['AWSALB=abc; Path=/', 'session=upstream-session; HttpOnly'] });
    const ok = await get();
    expect(ok.status).toBe(200);
    expect(ok.headers['set-cookie']).toBeUndefined();
    upstream.respond = (_req, res) => json(res, 404, { message: 'no' }, { 'set-cookie': 'session=upstream-session' });
    const err = await get();
    expect(err.status).toBe(404);
    expect(err.headers['set-cookie']).toBeUndefined();
  });

  it('Retry-After is passed on with a 429 and with a 503 (which then stays 503)', async () => {
    upstream.respond = (_req, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '30' });
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    upstream.respond = (_req, res) => json(res, 503, { message: 'maintenance' }, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' });
    const down = await get();
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('Wed, 21 Oct 2026 07:28:00 GMT');
  });

  it('X-Total-Count (pagination) is passed on; server internals are not', async () => {
    upstream.respond = (_req, res) =>
      json(res, 200, [], { 'x-total-count': '251', server: 'nginx/1.25', 'x-powered-by': 'Express', 'x-amzn-requestid': 'abc', etag: '"v1"', 'cache-control': 'private' });
    const res = await get();
    expect(res.headers['x-total-count']).toBe('251');
    for (const h of ['server', 'x-powered-by', 'x-amzn-requestid', 'etag']) expect(res.headers[h], h).toBeUndefined();
  });
});
