// What the gateway sends upstream: the Evercycle token pair in the contract's form, a
// content type, an accept, a request id; nothing of the client's own credentials, cookies,
// Host, hop-by-hop or custom headers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers/raw-http.js';
import { startRecordingUpstream, UPSTREAM_TOKENS, type RecordedRequest, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gw = await startGateway(upstream.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'svc-pw' } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

/** Every header the gateway may put on an upstream data call (undici adds host, connection, framing). */
const ALLOWED_UPSTREAM_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'content-type',
  'accept',
  'user-agent',
  'x-request-id',
  'authorization',
  'access-token',
]);

function last(): RecordedRequest {
  expect(upstream.requests.length).toBeGreaterThan(0);
  return upstream.requests.at(-1)!;
}

describe('token headers', () => {
  it('sends Authorization as the raw IdToken (no scheme) and access-token as the AccessToken', async () => {
    const res = await rawRequest(gw.url, 'GET', '/api/get-all');
    expect(res.status).toBe(200);
    const sent = last();
    expect(sent.headers.authorization).toBe(UPSTREAM_TOKENS.IdToken);
    expect(sent.headers['access-token']).toBe(UPSTREAM_TOKENS.AccessToken);
  });

  it('auth-signin (auth: false) is sent without any token header, even while tokens are held', async () => {
    await rawRequest(gw.url, 'GET', '/api/get-all'); // tokens are held now
    const before = upstream.authRequests.length;
    const body = JSON.stringify({ username: 'someone@example.com', password: 'their-pw' });
    const res = await rawRequest(gw.url, 'POST', '/api/auth-signin', {
      headers: { 'content-type': 'application/json', authorization: 'client-supplied', 'access-token': 'client-supplied' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    const sent = upstream.authRequests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('/v1/auth/signin');
    expect(sent[0]!.headers.authorization).toBeUndefined();
    expect(sent[0]!.headers['access-token']).toBeUndefined();
    expect(sent[0]!.body.toString('utf8')).toBe(body);
  });
});

describe('client headers that must not be forwarded', () => {
  it('drops Authorization, Cookie, Host, hop-by-hop and custom headers', async () => {
    const upstreamHost = new URL(upstream.url).host;
    const body = '{"make":"Dell"}';
    const res = await rawRequest(gw.url, 'POST', '/api/create', {
      headers: {
        host: 'evil.example:8443',
        authorization: 'Bearer client-own-token',
        'access-token': 'client-own-access',
        cookie: 'session=client-session-cookie',
        connection: 'keep-alive, x-hop-by-hop',
        'x-hop-by-hop': 'hop-value',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic cHJveHk6cHc=',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-host': 'evil.example',
        'x-api-key': 'client-api-key',
        'x-custom-header': 'custom-value',
        forwarded: 'for=203.0.113.7',
        origin: 'https://evil.example',
        referer: 'https://evil.example/page',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
      body,
    });
    expect(res.status).toBe(200);
    const sent = last();
    expect(sent.headers.host).toBe(upstreamHost);
    expect(sent.headers.authorization).toBe(UPSTREAM_TOKENS.IdToken);
    expect(sent.headers['access-token']).toBe(UPSTREAM_TOKENS.AccessToken);
    for (const name of Object.keys(sent.headers)) expect(ALLOWED_UPSTREAM_HEADERS, `unexpected upstream header ${name}`).toContain(name);
    const everything = JSON.stringify(sent.headers);
    for (const value of ['client-own-token', 'client-own-access', 'client-session-cookie', 'hop-value', 'evil.example', '203.0.113.7', 'client-api-key', 'custom-value', 'cHJveHk6cHc=']) {
      expect(everything).not.toContain(value);
    }
    expect(sent.headers.connection ?? 'keep-alive').not.toContain('x-hop-by-hop');
  });

  it('sends Accept: application/json whatever the client accepts, and its own User-Agent', async () => {
    await rawRequest(gw.url, 'GET', '/api/programs-list', { headers: { accept: 'text/html', 'user-agent': 'curl/8.5.0' } });
    const sent = last();
    expect(sent.headers.accept).toBe('application/json');
    expect(sent.headers['user-agent']).toMatch(/^evercycle-gateway\//);
  });
});

describe('content type sent upstream', () => {
  it.each([
    ['application/json', 'application/json'],
    ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
    ['application/vnd.api+json', 'application/vnd.api+json'],
  ])('a body labelled %s is sent as %s', async (given, expected) => {
    const body = '{"asset_id":1}';
    await rawRequest(gw.url, 'POST', '/api/single-confirm', { headers: { 'content-type': given, 'content-length': body.length }, body });
    expect(last().headers['content-type']).toBe(expected);
  });

  it('a call without a body carries no content type and no body', async () => {
    await rawRequest(gw.url, 'GET', '/api/traking-list');
    const sent = last();
    expect(sent.headers['content-type']).toBeUndefined();
    expect(sent.body.length).toBe(0);
  });
});

describe('request id', () => {
  it.each(['req-42', 'a1b2c3d4-e5f6-7890-abcd-ef0123456789', 'trace:span.01_x', 'x'.repeat(128)])(
    'a well-formed X-Request-Id (%s) is sent upstream and echoed to the client',
    async (id) => {
      const res = await rawRequest(gw.url, 'GET', '/api/get-all', { headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id']).toBe(id);
      expect(last().headers['x-request-id']).toBe(id);
    },
  );

  it.each(['has spaces in it', 'x'.repeat(129), '<script>', 'id;drop', 'ümlaut', ''])(
    'a malformed X-Request-Id (%j) is replaced, and the replacement is what both sides see',
    async (id) => {
      const res = await rawRequest(gw.url, 'GET', '/api/get-all', { headers: { 'x-request-id': id } });
      const echoed = res.headers['x-request-id'];
      expect(typeof echoed).toBe('string');
      expect(echoed).not.toBe(id);
      expect(echoed).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(last().headers['x-request-id']).toBe(echoed);
    },
  );

  it('without one, each call gets a distinct id, the same upstream and in the answer', async () => {
    const a = await rawRequest(gw.url, 'GET', '/api/get-all');
    const sentA = last().headers['x-request-id'];
    const b = await rawRequest(gw.url, 'GET', '/api/get-all');
    const sentB = last().headers['x-request-id'];
    expect(a.headers['x-request-id']).toBe(sentA);
    expect(b.headers['x-request-id']).toBe(sentB);
    expect(sentA).not.toBe(sentB);
  });

  it('error answers carry the request id too', async () => {
    const res = await rawRequest(gw.url, 'GET', '/api/no-such-api', { headers: { 'x-request-id': 'err-trace-1' } });
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBe('err-trace-1');
  });
});
