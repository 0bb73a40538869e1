// Input limits, each with its status and its boundary: body size (413), JSON nesting depth
// (400), number of query parameters (400), request-target length (414), header size
// (431). Every refusal is JSON in our shape and reaches nothing upstream; the value at
// the limit itself is accepted.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config.js';
import { countQueryParams } from '../src/server/security/input-limits.js';
import { scanJson } from '../src/server/security/json-scan.js';
import { rawRequest, rawSocket, type RawResponse } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';

function expectRefused(res: RawResponse, status: number, message?: RegExp): void {
  expect(res.status).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.json).toEqual({ status: 'error', message: message ? expect.stringMatching(message) : expect.any(String) });
}

const post = (stack: Stack, target: string, body: string, contentType = 'application/json') =>
  rawRequest(stack.url, 'POST', target, { headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }, body });
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
/** A request target of exactly `length` bytes, one query parameter long. */
const targetOf = (length: number) => `/api/get-all?q=${'x'.repeat(length - '/api/get-all?q='.length)}`;
const params = (count: number) => Array.from({ length: count }, (_, i) => `p${i}=${i}`).join('&');

describe('with small limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { MAX_JSON_DEPTH: '4', MAX_QUERY_PARAMS: '5', MAX_URL_LENGTH: '200', MAX_HEADER_BYTES: '2048', BODY_LIMIT_BYTES: '256', RATE_LIMIT_MAX: '0' },
    });
    await signIn(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    stack.sim.resetCalls();
  });

  describe('BODY_LIMIT_BYTES -> 413', () => {
    it('256 bytes are forwarded, 257 are refused', async () => {
      const body = (bytes: number) => `{"model":"${'m'.repeat(bytes - 12)}"}`;
      expect(Buffer.byteLength(body(256))).toBe(256);
      const ok = await rawRequest(stack.url, 'PUT', '/api/edit-asset-id/1', { headers: { 'content-type': 'application/json', 'content-length': 256 }, body: body(256) });
      expect(ok.status).not.toBe(413); // the simulator judges the (too long) model name itself
      expect(stack.sim.calls()).toEqual({ 'PUT /v1/asset/:id': 1 });
      stack.sim.resetCalls();
      const tooBig = await rawRequest(stack.url, 'PUT', '/api/edit-asset-id/1', { headers: { 'content-type': 'application/json', 'content-length': 257 }, body: body(257) });
      expectRefused(tooBig, 413, /too large/);
      expect(stack.sim.calls()).toEqual({});
    });
  });

  describe('MAX_JSON_DEPTH -> 400', () => {
    it.each([
      ['arrays', arrays],
      ['objects', objects],
    ])('4 levels of %s are forwarded, 5 are refused', async (_kind, make) => {
      expect((await post(stack, '/api/create-request', make(4))).json.upstream_status).toBe(400); // the simulator judged it
      expect(stack.sim.calls()).toEqual({ 'POST /v1/asset/request': 1 });
      stack.sim.resetCalls();
      expectRefused(await post(stack, '/api/create-request', make(5)), 400, /nested too deeply \(more than 4 levels/);
      expect(stack.sim.calls()).toEqual({});
    });

    it('applies to /api/auth, whatever the content type says', async () => {
      expectRefused(await post(stack, '/api/auth', `{"username":${arrays(5)},"password":"p"}`), 400, /nested too deeply/);
      expectRefused(await post(stack, '/api/create', arrays(5), 'application/x-www-form-urlencoded'), 400, /nested too deeply/);
    });

    it('brackets inside strings, escaped quotes included, do not count', async () => {
      const body = JSON.stringify({ model: `[[[[[[\\"{{{{{{"]]` });
      expect((await rawRequest(stack.url, 'PUT', '/api/edit-asset-id/1', { headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body })).status).toBe(200);
    });
  });

  describe('MAX_QUERY_PARAMS -> 400', () => {
    it('5 parameters are forwarded, 6 are refused; repeated keys count each time, empty parts not at all', async () => {
      expect((await rawRequest(stack.url, 'GET', `/api/get-all?${params(5)}`)).status).toBe(200);
      expect((await rawRequest(stack.url, 'GET', `/api/get-all?&&${params(5)}&&`)).status).toBe(200);
      expect(stack.sim.calls()).toEqual({ 'GET /v1/asset': 2 });
      stack.sim.resetCalls();
      expectRefused(await rawRequest(stack.url, 'GET', `/api/get-all?${params(6)}`), 400, /too many query parameters \(more than 5\)/);
      expectRefused(await rawRequest(stack.url, 'GET', '/api/get-all?a&a&a&a&a&a'), 400, /too many query parameters/);
      expectRefused(await rawRequest(stack.url, 'GET', '/nope?a&a&a&a&a&a'), 400, /too many query parameters/);
      expect(stack.sim.calls()).toEqual({});
    });
  });

  describe('MAX_URL_LENGTH -> 414', () => {
    it('a 200-byte target is forwarded, a 201-byte one is refused', async () => {
      expect((await rawRequest(stack.url, 'GET', targetOf(200))).status).toBe(200);
      expect(stack.sim.calls()).toEqual({ 'GET /v1/asset': 1 });
      stack.sim.resetCalls();
      expectRefused(await rawRequest(stack.url, 'GET', targetOf(201)), 414, /longer than 200 bytes/);
      expectRefused(await rawRequest(stack.url, 'GET', `/health?${'x'.repeat(300)}`), 414);
      expect(stack.sim.calls()).toEqual({});
    });

    it('a target longer than the whole header limit is 414 too, answered by the HTTP parser (then the connection closes)', async () => {
      const res = await rawSocket(stack.url, `GET ${targetOf(5000)} HTTP/1.1\r\nHost: gw\r\n\r\n`);
      expectRefused(res, 414, /URL too long/);
      expect(res.headers.connection).toBe('close');
      expect(stack.sim.calls()).toEqual({});
      expect((await rawRequest(stack.url, 'GET', '/health')).status).toBe(200);
    });
  });

  describe('MAX_HEADER_BYTES -> 431', () => {
    const withHeader = (bytes: number) => `GET /api/get-all HTTP/1.1\r\nHost: gw\r\nX-Pad: ${'h'.repeat(bytes)}\r\nConnection: close\r\n\r\n`;

    it('headers well within the limit pass; a single header value over it is 431, and the connection closes', async () => {
      expect((await rawSocket(stack.url, withHeader(1900))).status).toBe(200);
      const res = await rawSocket(stack.url, withHeader(2049));
      expectRefused(res, 431, /headers too large/);
      expect(res.headers.connection).toBe('close');
      expect(stack.sim.calls()).toEqual({ 'GET /v1/asset': 1 });
    });

    it('many small headers add up', async () => {
      const many = Array.from({ length: 60 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join('');
      expectRefused(await rawSocket(stack.url, `GET /health HTTP/1.1\r\nHost: gw\r\n${many}\r\n`), 431);
      expect((await rawRequest(stack.url, 'GET', '/health')).status).toBe(200);
    });
  });
});

describe('the defaults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '0' } });
    await signIn(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('are 32 levels, 100 parameters, 8 192-byte targets, 16 KiB of headers, 1 MiB bodies', () => {
    const s = loadSettings({});
    expect([s.maxJsonDepth, s.maxQueryParams, s.maxUrlLength, s.maxHeaderBytes, s.bodyLimitBytes]).toEqual([32, 100, 8192, 16384, 1048576]);
  });

  it('hold at their boundaries', async () => {
    expect((await post(stack, '/api/create-request', arrays(32))).json.upstream_status).toBe(400);
    expectRefused(await post(stack, '/api/create-request', arrays(33)), 400, /more than 32 levels/);
    expect((await rawRequest(stack.url, 'GET', `/api/get-all?${params(100)}`)).status).toBe(200);
    expectRefused(await rawRequest(stack.url, 'GET', `/api/get-all?${params(101)}`), 400, /more than 100/);
    expect((await rawRequest(stack.url, 'GET', targetOf(8192))).status).toBe(200);
    expectRefused(await rawRequest(stack.url, 'GET', targetOf(8193)), 414);
    expect((await rawSocket(stack.url, `GET /health HTTP/1.1\r\nHost: gw\r\nX-Pad: ${'h'.repeat(15_000)}\r\nConnection: close\r\n\r\n`)).status).toBe(200);
    expectRefused(await rawSocket(stack.url, `GET /health HTTP/1.1\r\nHost: gw\r\nX-Pad: ${'h'.repeat(16_385)}\r\nConnection: close\r\n\r\n`), 431);
  });
});

describe('scanJson: nesting depth', () => {
  const exceeds = (text: string, max: number) => scanJson(Buffer.from(text), max).tooDeep;

  it.each([
    ['1', 0, false],
    ['[]', 0, true],
    ['[]', 1, false],
    ['{"a":[1,{"b":[]}]}', 4, false],
    ['{"a":[1,{"b":[]}]}', 3, true],
    ['[[],[],[],[]]', 2, false],
    ['"[[[[[["', 1, false],
    ['["\\"[[[["]', 1, false],
    ['["\\\\"]', 1, false],
    ['["\\\\",[[]]]', 2, true],
    ['{"é日本😀":[[]]}', 3, false],
    [']]]]][[[', 2, true],
  ])('%s with at most %i levels -> %s', (text, max, expected) => {
    expect(exceeds(text, max)).toBe(expected);
  });

  it('scans a megabyte of brackets without recursion, in well under a second', () => {
    const started = performance.now();
    expect(exceeds('['.repeat(1024 * 1024), 32)).toBe(true);
    expect(exceeds(`"${'['.repeat(1024 * 1024)}"`, 32)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('countQueryParams', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a=1&b=2', 2],
    ['a&a&a', 3],
    ['&&a=1&&', 1],
    ['=&=', 2],
    ['a=1#b=2&c', 1],
  ])('%j has %i', (query, count) => {
    expect(countQueryParams(query)).toBe(count);
  });
});
