// Unknown routes, bodies that are not JSON, oversized bodies: every error is JSON with a
// message.
import { describe, expect, it } from 'vitest';
import { call, signedInSimulator } from './simulator-helpers.js';

describe('error answers', () => {
  const ctx = signedInSimulator();

  const expectJsonError = (res: { status: number; headers: Headers; body: { message?: unknown } }, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(typeof res.body.message).toBe('string');
  };

  it.each([
    ['GET', '/'],
    ['GET', '/v1'],
    ['GET', '/v2/asset'],
    ['GET', '/v1/assets'],
    ['DELETE', '/v1/asset/1'],
    ['PATCH', '/v1/asset/1'],
    ['POST', '/v1/asset'],
    ['GET', '/v1/asset/create/extra'],
    ['HEAD', '/v1/asset'],
    ['GET', '/api/auth'],
  ])('answers 404 {"message":"Not Found"} for %s %s', async (method, path) => {
    const res = await ctx.api.call(method, path);
    expect(res.status).toBe(404);
    if (method !== 'HEAD') {
      expectJsonError(res, 404);
      expect(res.body).toEqual({ message: 'Not Found' });
    }
  });

  it('answers 404 for unknown routes without checking tokens', async () => {
    const res = await call(ctx.s.base, 'GET', '/v1/unknown');
    expect(res.body).toEqual({ message: 'Not Found' });
  });

  it.each([
    ['{"serial_number": "X",', 'Request body is not valid JSON'],
    ["{'serial_number': 'X'}", 'Request body is not valid JSON'],
    ['', 'Request body is empty: send a JSON object'],
    ['{"__proto__": {"admin": true}}', 'Request body is not valid JSON'],
  ])('answers 400 for the JSON body %j', async (raw, message) => {
    const res = await ctx.api.call('POST', '/v1/asset/create', { raw, headers: { 'content-type': 'application/json' } });
    expectJsonError(res, 400);
    expect(res.body).toEqual({ message });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'])(
    'answers 400 for a %s body',
    async (type) => {
      const res = await ctx.api.call('POST', '/v1/asset/create', { raw: 'serial_number=X', headers: { 'content-type': type } });
      expectJsonError(res, 400);
    },
  );

  it('accepts JSON with a charset or a +json media type', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/vnd.api+json']) {
      const res = await ctx.api.call('POST', '/v1/asset/create', { raw: '{"serial_number":"CT-1","asset_type_id":1}', headers: { 'content-type': type } });
      expect(res.status, type).toBe(201);
    }
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const res = await ctx.api.call('POST', '/v1/asset/create', { json: { serial_number: 'X', asset_type_id: 1, notes: 'x'.repeat(1_100_000) } });
    expectJsonError(res, 413);
    expect(res.body).toEqual({ message: 'Request body is too large' });
  });
});
