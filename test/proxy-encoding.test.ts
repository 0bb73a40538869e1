// Path values reach the upstream encoded exactly once, as exactly one segment.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type StartedGateway } from './helpers/stack.js';
import { rawRequest } from './helpers/raw-http.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gw = await startGateway(upstream.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw' } });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

const JSON_PUT = { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"price":1}' };

async function upstreamPathFor(
  gatewayPath: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; path: string | undefined; body: unknown }> {
  const before = upstream.requests.length;
  const res = await rawRequest(gw.url, init.method ?? 'GET', gatewayPath, init);
  const path = upstream.requests.length > before ? upstream.requests.at(-1)?.url : undefined;
  return { status: res.status, path, body: res.json };
}

describe('path parameter encoding', () => {
  it.each([
    ['/api/grade/7/A%2FB', '/v1/pricebook/7/A%2FB'],
    ['/api/grade/7/A%3FB', '/v1/pricebook/7/A%3FB'],
    ['/api/grade/7/A%23B', '/v1/pricebook/7/A%23B'],
    ['/api/grade/7/%25', '/v1/pricebook/7/%25'],
    ['/api/grade/7/100%25off', '/v1/pricebook/7/100%25off'],
    ['/api/grade/7/A+B', '/v1/pricebook/7/A%2BB'],
    ['/api/grade/7/A%20B', '/v1/pricebook/7/A%20B'],
    ['/api/grade/7/%C3%A9', '/v1/pricebook/7/%C3%A9'],
    ['/api/grade/7/%2E%2E%2Fx', '/v1/pricebook/7/..%2Fx'],
    ['/api/grade?id=7&grade=A%2BB', '/v1/pricebook/7/A%2BB'],
    ['/api/grade?id=7&grade=A+B', '/v1/pricebook/7/A%20B'],
    ['/api/grade?id=7&grade=%2F..%2F', '/v1/pricebook/7/%2F..%2F'],
  ])('%s -> %s', async (gatewayPath, expected) => {
    const r = await upstreamPathFor(gatewayPath, JSON_PUT);
    expect(r.status).toBe(200);
    expect(r.path).toBe(expected);
  });

  it.each([
    ['/api/grade/7/..', 'grade'],
    ['/api/grade/7/.', 'grade'],
    ['/api/grade/7/%2E%2E', 'grade'],
    ['/api/grade?id=7&grade=..', 'grade'],
    ['/api/grade/abc/A', 'id'],
    ['/api/grade/7', 'grade'],
    ['/api/grade/-1/A', 'id'],
    ['/api/grade/7/A%0D%0AB', 'grade'],
    ['/api/grade/7/%00', 'grade'],
    ['/api/grade/7/A%7F', 'grade'],
    ['/api/grade?id=7&grade=A%0AB', 'grade'],
  ])('%s is refused with 400 naming %s', async (gatewayPath, param) => {
    const before = upstream.requests.length;
    const r = await upstreamPathFor(gatewayPath, JSON_PUT);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 'error' });
    expect(String((r.body as { message: string }).message)).toContain(param);
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a parameter given twice instead of joining it', async () => {
    const twiceInQuery = await upstreamPathFor('/api/get-asset-id?id=1&id=2');
    expect(twiceInQuery.status).toBe(400);
    const positionalAndQuery = await upstreamPathFor('/api/get-asset-id/1?id=2');
    expect(positionalAndQuery.status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses extra segments and malformed percent-encoding', async () => {
    expect((await upstreamPathFor('/api/get-asset-id/1/2')).status).toBe(400);
    expect((await upstreamPathFor('/api/get-all/extra')).status).toBe(400);
    expect((await upstreamPathFor('/api/grade/7/%zz', { method: 'PUT', body: '{}' })).status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses malformed percent-encoding anywhere in the query, for every API, without echoing the value', async () => {
    for (const target of ['/api/get-all?x=%zz', '/api/get-all?%zz=1', '/api/get-all?q=%', '/api/get-asset-id/1?expand=%C0', '/api/get-asset-id?id=1&x=%E2%82']) {
      const r = await upstreamPathFor(target);
      expect(r.status, target).toBe(400);
      expect(r.body).toMatchObject({ status: 'error', message: expect.stringMatching(/^invalid percent-encoding in (the value of )?query parameter/) });
    }
    const secret = await upstreamPathFor('/api/get-all?password=hunter2%C0');
    expect(secret.body).toEqual({ status: 'error', message: 'invalid percent-encoding in the value of query parameter "password"' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('fills from positional segments, then query, then body; query used for the path is not forwarded', async () => {
    expect((await upstreamPathFor('/api/get-asset-id/42?expand=1')).path).toBe('/v1/asset/42?expand=1');
    expect((await upstreamPathFor('/api/get-asset-id?id=42&expand=1')).path).toBe('/v1/asset/42?expand=1');
    const put = await upstreamPathFor('/api/edit-asset-id', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 42, make: 'Dell' }),
    });
    expect(put.path).toBe('/v1/asset/42');
    expect(JSON.parse(upstream.requests.at(-1)!.body.toString())).toEqual({ id: 42, make: 'Dell' });
  });

  it('forwards the rest of the query string as received, repeated keys and UTF-8 included', async () => {
    const r = await upstreamPathFor('/api/get-all?page_num=2&per_page=10&tag=a&tag=b&q=%C3%A9t%C3%A9&x=a+b');
    expect(r.path).toBe('/v1/asset?page_num=2&per_page=10&tag=a&tag=b&q=%C3%A9t%C3%A9&x=a+b');
  });

  it('forwards a well-formed query byte-for-byte, however odd (control characters are only refused in path values)', async () => {
    const query = 'a=%00&b=%0d%0A&%7e=100%25&c=%2F%3f%23&d=%e2%82%ac&e&=f&g==';
    expect((await upstreamPathFor(`/api/get-all?${query}`)).path).toBe(`/v1/asset?${query}`);
    expect((await upstreamPathFor(`/api/get-asset-id/1?${query}`)).path).toBe(`/v1/asset/1?${query}`);
  });
});
