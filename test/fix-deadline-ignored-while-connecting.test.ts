// Regression: a try's deadline (the headers timeout, which starts before connecting) was
// ignored while the upstream connection was still being made. undici 7 only notices an
// AbortSignal once its request has a connection, so against an upstream that never
// completes the connection the 504 "no response headers within 300 ms" came after the
// connect timeout (5.5 s with EVERCYCLE_CONNECT_TIMEOUT_MS=5000). The same held for a
// client going away meanwhile. Input: EVERCYCLE_BASE_URL=https://<a TCP server that
// accepts and stays silent>, EVERCYCLE_CONNECT_TIMEOUT_MS=5000,
// EVERCYCLE_HEADERS_TIMEOUT_MS=300, POST to an auth:false API.
import net from 'node:net';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { timed } from './helpers/load.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';
import { postJson } from './helpers/tokens.js';

describe('the headers deadline while the connection is still being made', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let apisDir: string;
  let gw: StartedGateway;
  beforeAll(async () => {
    // Accepts TCP connections and never says a word: the TLS handshake never completes.
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    apisDir = await makeApisDir({ shipped: false, files: { 'ping.json': { method: 'POST', path: '/v1/ping', description: 'A public POST', auth: false } } });
    gw = await startGateway(`https://127.0.0.1:${port}`, {
      env: {
        EVERCYCLE_APIS_DIR: apisDir,
        EVERCYCLE_CONNECT_TIMEOUT_MS: '5000',
        EVERCYCLE_HEADERS_TIMEOUT_MS: '300',
        EVERCYCLE_RETRY_ATTEMPTS: '1',
        EVERCYCLE_REFRESH_AHEAD_S: '0',
      },
    });
  });
  afterAll(async () => {
    // The silent server goes first: undici keeps the abandoned requests queued until their
    // connection attempt ends, and closing the gateway waits for that.
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await gw?.close();
    await rm(apisDir, { recursive: true, force: true });
  });

  it('ends the try at the deadline (504 after about 300 ms), not at the 5 s connect timeout', async () => {
    const { value: res, ms } = await timed(() => postJson(gw.url, '/api/ping', {}));
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ status: 'error', message: expect.stringMatching(/^Evercycle API timed out: no connection to the upstream within 300 ms/) });
    expect(ms).toBeGreaterThanOrEqual(280);
    expect(ms).toBeLessThan(2000);
  });

  it('the gateway keeps answering the next calls the same way', async () => {
    const results = await Promise.all([1, 2, 3].map(() => timed(() => postJson(gw.url, '/api/ping', {}))));
    for (const { value, ms } of results) {
      expect(value.status).toBe(504);
      expect(ms).toBeLessThan(2000);
    }
  });

  it('a POST whose try never got a connection was not sent, so it may be tried again', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const retrying = await startGateway(`https://127.0.0.1:${port}`, {
      env: { EVERCYCLE_APIS_DIR: apisDir, EVERCYCLE_HEADERS_TIMEOUT_MS: '300', EVERCYCLE_RETRY_ATTEMPTS: '2', EVERCYCLE_RETRY_BASE_MS: '0', EVERCYCLE_REFRESH_AHEAD_S: '0' },
    });
    try {
      const { value: res, ms } = await timed(() => postJson(retrying.url, '/api/ping', {}));
      expect(res.status).toBe(504);
      // Two tries of 300 ms: the second is the retry a POST gets only when nothing was sent.
      expect(ms).toBeGreaterThanOrEqual(580);
      expect(retrying.logs.text).toMatch(/retrying upstream call/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await retrying.close();
    }
  });
});
