// Upstream timeouts, each answered 504: connect (EVERCYCLE_CONNECT_TIMEOUT_MS), response
// headers (EVERCYCLE_HEADERS_TIMEOUT_MS) and the whole body (EVERCYCLE_BODY_TIMEOUT_MS),
// with per-API overrides (connect_timeout_ms, headers_timeout_ms, body_timeout_ms).
// Everything on loopback: a slow simulator (latency, slow body) for headers and body; for
// connect, a TCP server that accepts but never completes the TLS handshake of an
// https:// upstream (undici counts the handshake as part of connecting), since a
// connection to a loopback port is either refused or established at once.
import net from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { timed } from './helpers/load.js';
import { rawRequest } from './helpers/raw-http.js';
import { signIn, startGateway, startStack, type Stack, type StartedGateway } from './helpers/stack.js';
import { postJson } from './helpers/tokens.js';

const ASSET = 'GET /v1/asset/:id';
const CREATE = 'POST /v1/asset/create';
const BASE_ENV = { EVERCYCLE_BREAKER_FAILURES: '1000000', EVERCYCLE_REFRESH_AHEAD_S: '0', EVERCYCLE_RETRY_ATTEMPTS: '1' };

const asset = (extra: Record<string, unknown>) => ({ method: 'GET', path: '/v1/asset/{id}', description: 'An asset', params: { id: 'integer' }, ...extra });

describe('headers and body timeouts', () => {
  let s: Stack;
  let apisDir: string;
  beforeAll(async () => {
    apisDir = await makeApisDir({
      files: {
        'asset-patient.json': asset({ headers_timeout_ms: 3000, body_timeout_ms: 3000 }),
        'asset-hasty.json': asset({ headers_timeout_ms: 100, body_timeout_ms: 100 }),
        'asset-patient-headers.json': asset({ headers_timeout_ms: 3000 }),
        'asset-retried.json': asset({ retry: { attempts: 2 } }),
      },
    });
    s = await startStack({
      env: { ...BASE_ENV, EVERCYCLE_APIS_DIR: apisDir, EVERCYCLE_TIMEOUT_MS: '10000', EVERCYCLE_HEADERS_TIMEOUT_MS: '500', EVERCYCLE_BODY_TIMEOUT_MS: '500' },
    });
    await signIn(s);
  });
  afterAll(async () => {
    await s?.close();
    await rm(apisDir, { recursive: true, force: true });
  });
  afterEach(() => {
    s.sim.faults.clear();
    s.sim.resetCalls();
  });

  const get = (api: string) => timed(() => rawRequest(s.url, 'GET', `/api/${api}/4`));

  it('no headers within EVERCYCLE_HEADERS_TIMEOUT_MS -> 504 JSON after about that long', async () => {
    s.sim.faults.set(ASSET, { latencyMs: 2000 });
    const { value: res, ms } = await get('get-asset-id');
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/^Evercycle API timed out: /) });
    expect(ms).toBeGreaterThanOrEqual(480);
    expect(ms).toBeLessThan(1500);
    expect(s.sim.calls()[ASSET]).toBe(1);
  });

  it('headers in time, body slower than EVERCYCLE_BODY_TIMEOUT_MS -> 504 well before the body would end', async () => {
    s.sim.faults.set(ASSET, { slowBodyMs: 2000, slowBodyChunkBytes: 16 });
    const { value: res, ms } = await get('get-asset-id');
    expect(res.status).toBe(504);
    expect(res.json.message).toMatch(/timed out/);
    expect(ms).toBeGreaterThanOrEqual(480);
    expect(ms).toBeLessThan(1700);
  });

  it('a body that trickles in (each chunk in time) still has to be complete within the body timeout', async () => {
    // Hundreds of 8-byte chunks over 2 s: a new one every few ms, never idle for long.
    s.sim.faults.set(ASSET, { slowBodyMs: 2000, slowBodyChunkBytes: 8 });
    const { value: res, ms } = await get('get-asset-id');
    expect(res.status).toBe(504);
    expect(ms).toBeLessThan(1700);
  });

  it('per-API headers_timeout_ms: 3000 lets a 1 s answer through; 100 cuts it at about 100 ms', async () => {
    s.sim.faults.set(ASSET, { latencyMs: 1000 });
    const [patient, hasty, fallback] = await Promise.all([get('asset-patient-headers'), get('asset-hasty'), get('get-asset-id')]);
    expect(patient.value.status).toBe(200);
    expect(patient.value.json).toMatchObject({ status: 'success', data: { id: 4 } });
    expect(hasty.value.status).toBe(504);
    expect(hasty.ms).toBeLessThan(450);
    expect(fallback.value.status).toBe(504);
    expect(fallback.ms).toBeGreaterThanOrEqual(480);
  });

  it('per-API body_timeout_ms: 3000 lets a 1 s body through; 100 cuts it', async () => {
    s.sim.faults.set(ASSET, { slowBodyMs: 1000, slowBodyChunkBytes: 16 });
    const [patient, hasty, fallback] = await Promise.all([get('asset-patient'), get('asset-hasty'), get('get-asset-id')]);
    expect(patient.value.status).toBe(200);
    expect(patient.value.json).toMatchObject({ status: 'success', data: { id: 4 } });
    expect(hasty.value.status).toBe(504);
    expect(hasty.ms).toBeLessThan(450);
    expect(fallback.value.status).toBe(504);
    expect(fallback.ms).toBeGreaterThanOrEqual(480);
  });

  it('a timed-out GET is retried (it may go again); a timed-out POST is not (it may have been applied)', async () => {
    s.sim.faults.set('*', { latencyMs: 2000 });
    const { value: get2 } = await get('asset-retried');
    expect(get2.status).toBe(504);
    expect(s.sim.calls()[ASSET]).toBe(2);
    const post = await postJson(s.url, '/api/create', { serial_number: 'TIMEOUT-1', asset_type_id: 1 });
    expect(post.status).toBe(504);
    expect(s.sim.calls()[CREATE]).toBe(1);
  });
});

describe('connect timeout', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let gw: StartedGateway | undefined;
  let apisDir: string;
  beforeAll(async () => {
    // Accepts TCP connections and never says a word: a TLS handshake never completes.
    silent = net.createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    apisDir = await makeApisDir({
      shipped: false,
      files: {
        'ping.json': { method: 'POST', path: '/v1/ping', description: 'A public POST', auth: false, connect_timeout_ms: 200, retry: { attempts: 2 } },
        'ping-default.json': { method: 'POST', path: '/v1/ping', description: 'A public POST', auth: false },
      },
    });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await gw?.close();
    await rm(apisDir, { recursive: true, force: true });
  });

  it('per-API connect_timeout_ms: a handshake that never completes -> 504; the POST is tried again (nothing was sent)', async () => {
    const { port } = silent.address() as net.AddressInfo;
    gw = await startGateway(`https://127.0.0.1:${port}`, {
      env: { ...BASE_ENV, EVERCYCLE_APIS_DIR: apisDir, EVERCYCLE_CONNECT_TIMEOUT_MS: '20000', EVERCYCLE_RETRY_BASE_MS: '10', EVERCYCLE_RETRY_MAX_MS: '10' },
    });
    const { value: res, ms } = await timed(() => postJson(gw!.url, '/api/ping', { hello: 1 }));
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/could not connect to the upstream in time/) });
    // The per-API 200 ms won over the 20 s default. undici checks connect timeouts on a
    // coarse timer (about every 0.5 s), so each try ends 0.2 to about 1 s after it began.
    expect(ms).toBeLessThan(4000);
    expect(accepted).toBe(2);
    console.info(`[figures] connect timeout 200 ms (per API), 2 tries: 504 after ${Math.round(ms)} ms`);
  });
});
