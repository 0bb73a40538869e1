// When the upstream gives no usable answer: unreachable or cut off -> 502, too slow -> 504
// (default EVERCYCLE_TIMEOUT_MS, per-API timeout_ms); the gateway keeps serving after each.
import type http from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { freePort } from './helpers/ports.js';
import { rawRequest } from './helpers/raw-http.js';
import { json, startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { ONE_TRY, startGateway, type StartedGateway } from './helpers/stack.js';

const SVC = { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw' };
const SIGNIN_BODY = JSON.stringify({ username: 'u@example.com', password: 'p' });

/** Answers the upstream never finishes; ended after each test so nothing lingers. */
const hanging: http.ServerResponse[] = [];
const hang = (_req: unknown, res: http.ServerResponse) => void hanging.push(res);
afterEach(() => {
  for (const res of hanging.splice(0)) res.destroy();
});

function expectErrorShape(body: unknown, status: number): void {
  expect(body).toMatchObject({ status: 'error', message: expect.any(String) });
  expect(status).toBeGreaterThanOrEqual(500);
}

describe('upstream unreachable', () => {
  let gw: StartedGateway;
  beforeAll(async () => {
    const closed = await freePort(); // nothing listens there
    gw = await startGateway(`http://127.0.0.1:${closed}`, { env: ONE_TRY });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a call to a closed port -> 502 JSON', async () => {
    const res = await rawRequest(gw.url, 'POST', '/api/auth-signin', {
      headers: { 'content-type': 'application/json', 'content-length': SIGNIN_BODY.length },
      body: SIGNIN_BODY,
    });
    expect(res.status).toBe(502);
    expectErrorShape(res.json, res.status);
  });

  it('the gateway itself stays up', async () => {
    const health = await rawRequest(gw.url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
  });
});

describe('upstream goes away and comes back', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startGateway(upstream.url, { env: { ...ONE_TRY, ...SVC } });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('502 while it is down (tokens held, keep-alive socket gone), 200 again once it is back', async () => {
    expect((await rawRequest(gw.url, 'GET', '/api/get-all')).status).toBe(200);
    const port = Number(new URL(upstream.url).port);
    await upstream.close();

    const down = await rawRequest(gw.url, 'GET', '/api/get-all');
    expect(down.status).toBe(502);
    expectErrorShape(down.json, down.status);

    upstream = await startRecordingUpstream({ port });
    const back = await rawRequest(gw.url, 'GET', '/api/get-all');
    expect(back.status).toBe(200);
    expect(back.json).toEqual({ status: 'success', data: { ok: true } });
  });
});

describe('upstream cut off or garbled', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startGateway(upstream.url, { env: { ...ONE_TRY, ...SVC } });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.respond = (_req, res) => json(res, 200, { ok: true });
  });

  it.each([
    [
      'connection destroyed before any answer',
      (_req: unknown, res: http.ServerResponse) => {
        res.socket?.destroy();
      },
    ],
    [
      'connection destroyed mid-body (Content-Length promised more)',
      (_req: unknown, res: http.ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
        res.write('{"items":[1,2,3');
        setTimeout(() => res.socket?.destroy(), 20);
      },
    ],
    [
      'connection destroyed mid-chunked-body',
      (_req: unknown, res: http.ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"items":[1,2,3');
        setTimeout(() => res.socket?.destroy(), 20);
      },
    ],
    [
      'not HTTP at all',
      (_req: unknown, res: http.ServerResponse) => {
        res.socket?.end('SSH-2.0-OpenSSH_9.6\r\n\r\n');
      },
    ],
  ])('%s -> 502 JSON, and the next call works', async (_label, responder) => {
    upstream.respond = responder;
    const res = await rawRequest(gw.url, 'GET', '/api/get-all');
    expect(res.status).toBe(502);
    expectErrorShape(res.json, res.status);
    expect(res.json.data).toBeUndefined();

    upstream.respond = (_req, r) => json(r, 200, { ok: 'again' });
    const next = await rawRequest(gw.url, 'GET', '/api/get-all');
    expect(next.status).toBe(200);
    expect(next.json).toEqual({ status: 'success', data: { ok: 'again' } });
  });
});

describe('upstream too slow', () => {
  let upstream: RecordingUpstream;
  let apisDir: string;
  let gw: StartedGateway;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    apisDir = await makeApisDir({
      files: {
        'slow-report.json': { method: 'GET', path: '/v1/reports/slow', description: 'A slow report', timeout_ms: 150 },
        'patient-report.json': { method: 'GET', path: '/v1/reports/patient', description: 'Takes its time', timeout_ms: 5000 },
      },
    });
    // Default timeout 400 ms; slow-report overrides it down, patient-report up.
    gw = await startGateway(upstream.url, { env: { ...ONE_TRY, ...SVC, EVERCYCLE_APIS_DIR: apisDir, EVERCYCLE_TIMEOUT_MS: '400' } });
    await rawRequest(gw.url, 'GET', '/api/get-all'); // hold tokens before timing anything
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await rm(apisDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    upstream.respond = (_req, res) => json(res, 200, { ok: true });
  });

  async function timed(target: string) {
    const started = performance.now();
    const res = await rawRequest(gw.url, 'GET', target);
    return { res, ms: performance.now() - started };
  }

  it('a per-API timeout_ms: no answer within 150 ms -> 504 JSON after about 150 ms', async () => {
    upstream.respond = hang;
    const { res, ms } = await timed('/api/slow-report');
    expect(res.status).toBe(504);
    expectErrorShape(res.json, res.status);
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(380); // the per-API value won, not the 400 ms default
  });

  it('the default EVERCYCLE_TIMEOUT_MS applies to APIs without timeout_ms', async () => {
    upstream.respond = hang;
    const { res, ms } = await timed('/api/get-all');
    expect(res.status).toBe(504);
    expectErrorShape(res.json, res.status);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(3000);
  });

  it('headers in time but the body stalls -> 504 as well', async () => {
    upstream.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"partial":');
      hanging.push(res);
    };
    const { res } = await timed('/api/slow-report');
    expect(res.status).toBe(504);
    expectErrorShape(res.json, res.status);
  });

  it('a longer per-API timeout_ms lets a slow answer (600 ms, over the default) through', async () => {
    upstream.respond = (_req, res) => void setTimeout(() => json(res, 200, { finally: true }), 600);
    const { res } = await timed('/api/patient-report');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', data: { finally: true } });
  });

  it('after timeouts the gateway keeps serving, concurrently too', async () => {
    upstream.respond = hang;
    const slow = timed('/api/slow-report');
    upstream.respond = (req, res) => (req.url.startsWith('/v1/reports/slow') ? hang(req, res) : json(res, 200, { fast: true }));
    const fast = await Promise.all(Array.from({ length: 10 }, () => rawRequest(gw.url, 'GET', '/api/programs-list')));
    for (const r of fast) expect(r.json).toEqual({ status: 'success', data: { fast: true } });
    expect((await slow).res.status).toBe(504);
    expect((await rawRequest(gw.url, 'GET', '/health')).status).toBe(200);
  });
});
