// Request bodies: forwarded byte-for-byte with a Content-Length that matches the bytes;
// falsy JSON intact; Expect: 100-continue; malformed JSON 400; too large 413; a curl -d
// form label on JSON accepted; a non-JSON body 415.
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';

let upstream: RecordingUpstream;
let gw: StartedGateway;
const MIB = 1024 * 1024;

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
});

function send(method: string, target: string, body: string | Buffer, contentType: string | null = 'application/json'): Promise<RawResponse> {
  const headers: http.OutgoingHttpHeaders = { 'content-length': Buffer.byteLength(body) };
  if (contentType !== null) headers['content-type'] = contentType;
  return rawRequest(gw.url, method, target, { headers, body });
}

function only(): RecordedRequest {
  expect(upstream.requests).toHaveLength(1);
  return upstream.requests[0]!;
}

describe('JSON bodies are forwarded unchanged', () => {
  it.each([
    ['POST', '/api/create', '/v1/asset/create'],
    ['PUT', '/api/edit-asset-id/17', '/v1/asset/17'],
    ['POST', '/api/create-request', '/v1/asset/request'],
    ['PUT', '/api/grade/3/B%2B', '/v1/pricebook/3/B%2B'],
  ])('%s %s: the exact bytes, whitespace, key order and number spelling included', async (method, target, upstreamPath) => {
    // A top-level "price" because grade's body schema requires one.
    const body = '{ "z_last":1.50,\n  "a_first" : [ 1e2, -0, true ],\t"nested":{"price":1.0,"keep":"  spaces  "}, "price" : 2.0e1 }';
    const res = await send(method, target, body);
    expect(res.status).toBe(200);
    const sent = only();
    expect(sent.method).toBe(method);
    expect(sent.url).toBe(upstreamPath);
    expect(sent.body.equals(Buffer.from(body))).toBe(true);
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('a UTF-8 body with multi-byte characters: upstream Content-Length is the byte length', async () => {
    const body = JSON.stringify({ notes: 'Grüße aus Köln – 日本語のメモ 😀👍🏽', make: 'Lenovo' });
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length); // the test means something
    const res = await send('POST', '/api/create', body, 'application/json; charset=utf-8');
    expect(res.status).toBe(200);
    const sent = only();
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(sent.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(JSON.parse(sent.body.toString('utf8'))).toEqual(JSON.parse(body));
  });

  it('a chunked client body (no Content-Length) reaches the upstream whole, with the right Content-Length', async () => {
    const body = JSON.stringify({ serial_number: 'C02XK1', notes: 'é'.repeat(5000) });
    const res = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(gw.url);
      const req = http.request({ host: hostname, port, method: 'POST', path: '/api/create', headers: { 'content-type': 'application/json' }, agent: false }, (r) => {
        r.resume();
        r.on('end', () => resolve(r.statusCode ?? 0));
      });
      req.on('error', reject);
      const bytes = Buffer.from(body);
      // Split inside a multi-byte character on purpose.
      req.write(bytes.subarray(0, 1001));
      setTimeout(() => req.end(bytes.subarray(1001)), 20);
    });
    expect(res).toBe(200);
    const sent = only();
    expect(sent.body.toString('utf8')).toBe(body);
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it.each(['{}', '0', 'false', 'null', '""', '[]', ' {} '])('the falsy JSON body %j arrives intact', async (body) => {
    const res = await send('POST', '/api/create-request', body);
    expect(res.status).toBe(200);
    const sent = only();
    expect(sent.body.toString('utf8')).toBe(body);
    expect(sent.headers['content-length']).toBe(String(body.length));
    expect(sent.headers['content-type']).toBe('application/json');
  });

  it('an empty POST is forwarded as an empty POST (no body, no content type)', async () => {
    const res = await rawRequest(gw.url, 'POST', '/api/create-request', { headers: { 'content-length': 0 } });
    expect(res.status).toBe(200);
    const sent = only();
    expect(sent.body.length).toBe(0);
    expect(sent.headers['content-type']).toBeUndefined();
  });

  it('a GET never carries a body upstream', async () => {
    const res = await send('GET', '/api/get-all', '{"sneaky":true}');
    expect(res.status).toBe(200);
    expect(only().body.length).toBe(0);
  });
});

describe('Expect: 100-continue', () => {
  it('the gateway answers 100 Continue, then reads and forwards the body', async () => {
    const body = JSON.stringify({ asset_ids: [1, 2, 3], request_type: 'pickup' });
    const { hostname, port } = new URL(gw.url);
    const outcome = await new Promise<{ continued: boolean; status: number; text: string }>((resolve, reject) => {
      let continued = false;
      const req = http.request(
        {
          host: hostname,
          port,
          method: 'POST',
          path: '/api/create-request',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, text }));
        },
      );
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(outcome.continued).toBe(true);
    expect(outcome.status).toBe(200);
    expect(JSON.parse(outcome.text)).toEqual({ status: 'success', data: { ok: true } });
    const sent = only();
    expect(sent.body.toString()).toBe(body);
    expect(sent.headers.expect).toBeUndefined();
  });
});

describe('bodies that are refused', () => {
  it.each(['{"make":', '{make:"Dell"}', "{'a':1}", '{"a":1}}', 'undefined', '\u00ff'])(
    'malformed JSON %j labelled application/json -> 400 JSON, nothing upstream',
    async (body) => {
      const res = await send('POST', '/api/create', body);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/JSON/) });
      expect(upstream.requests).toHaveLength(0);
    },
  );

  it('a body over 1 MiB (with Content-Length) -> 413 JSON, nothing upstream', async () => {
    const body = `"${'a'.repeat(MIB - 1)}"`; // MIB + 1 bytes
    const res = await send('POST', '/api/create', body);
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.requests).toHaveLength(0);
  });

  it('a chunked body growing over 1 MiB -> 413 JSON, nothing upstream', async () => {
    const { hostname, port } = new URL(gw.url);
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: hostname, port, method: 'PUT', path: '/api/edit-asset-id/1', headers: { 'content-type': 'application/json' }, agent: false }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
      });
      // The gateway may answer and close while we are still writing.
      req.on('error', (err) => (String(err).includes('EPIPE') || String(err).includes('ECONNRESET') ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      req.write('"');
      for (let i = 0; i < 17; i++) req.write(chunk);
      req.end('"');
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.requests).toHaveLength(0);
  });

  it('a body of exactly 1 MiB is accepted and forwarded whole', async () => {
    // An object: create's body schema wants one.
    const body = `{"make":"${'a'.repeat(MIB - 11)}"}`;
    expect(Buffer.byteLength(body)).toBe(MIB);
    const res = await send('POST', '/api/create', body);
    expect(res.status).toBe(200);
    const sent = only();
    expect(sent.headers['content-length']).toBe(String(MIB));
    expect(sent.body.length).toBe(MIB);
  });

  it.each([
    ['text/plain', 'hello there'],
    ['application/xml', '<asset><make>Dell</make></asset>'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'],
  ])('a non-JSON body labelled %s -> 415 JSON, nothing upstream', async (contentType, body) => {
    const res = await send('POST', '/api/create', body, contentType);
    expect(res.status).toBe(415);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.requests).toHaveLength(0);
  });

  it('a non-JSON body without any content type is refused with a JSON error, nothing upstream', async () => {
    const res = await send('POST', '/api/create', 'make=Dell&model=XPS', null);
    expect([400, 415]).toContain(res.status);
    expect(res.json).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('curl -d style bodies', () => {
  it('JSON labelled application/x-www-form-urlencoded is accepted and sent upstream as application/json', async () => {
    const body = '{"username":"user@example.com","make":"HP"}';
    const res = await send('POST', '/api/create', body, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    const sent = only();
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body.toString()).toBe(body);
  });

  it('JSON with no content type at all is sent upstream as application/json', async () => {
    const body = '{"asset_id":5}';
    const res = await send('POST', '/api/single-confirm', body, null);
    expect(res.status).toBe(200);
    expect(only().headers['content-type']).toBe('application/json');
  });
});

describe('BODY_LIMIT_BYTES', () => {
  let small: StartedGateway;
  beforeAll(async () => {
    small = await startGateway(upstream.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw', BODY_LIMIT_BYTES: '64' } });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('is the largest accepted body: 64 bytes pass, 65 bytes are 413 JSON', async () => {
    const ok = `{"make":"${'x'.repeat(53)}"}`;
    const tooBig = `{"make":"${'x'.repeat(54)}"}`;
    const post = (body: string) =>
      rawRequest(small.url, 'POST', '/api/create', { headers: { 'content-type': 'application/json', 'content-length': body.length }, body });
    expect((await post(ok)).status).toBe(200);
    const refused = await post(tooBig);
    expect(refused.status).toBe(413);
    expect(refused.json).toEqual({ status: 'error', message: expect.any(String) });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body.length).toBe(64);
  });

  it('applies to POST /api/auth as well', async () => {
    const body = JSON.stringify({ username: 'u'.repeat(40), password: 'p'.repeat(40) });
    const res = await rawRequest(small.url, 'POST', '/api/auth', { headers: { 'content-type': 'application/json', 'content-length': body.length }, body });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ status: 'error' });
  });
});
