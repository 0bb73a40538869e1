// Graceful shutdown of the real process (`node dist/cli/main.js serve`): on SIGTERM it
// stops accepting, lets the calls in flight finish, keeps the token file intact and exits
// 0; calls still waiting on the upstream when SHUTDOWN_GRACE_MS is over are answered 503.
// The upstream is a simulator in this test process, made slow with fault injection.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { sleep, tally } from './helpers/load.js';
import { freePort } from './helpers/ports.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { tempDir } from './helpers/stack.js';
import { postJson, waitUntil } from './helpers/tokens.js';

const ASSET = 'GET /v1/asset/:id';

let sim: Simulator | undefined;
let proc: CliProcess | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await proc?.stop();
  await sim?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  proc = sim = dataDir = undefined;
});

/** A simulator answering asset reads after `latencyMs`, and the real CLI in front of it, signed in. */
async function start(latencyMs: number, env: Record<string, string> = {}): Promise<{ url: string; sim: Simulator; proc: CliProcess; tokenFile: string }> {
  sim = createSimulator({ faults: { [ASSET]: { latencyMs } } });
  const simUrl = await sim.listen();
  dataDir = await tempDir('evgw-shutdown-');
  proc = spawnServe({
    EVERCYCLE_BASE_URL: simUrl,
    EVERCYCLE_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '0',
    ...env,
  });
  const url = await waitForListening(proc);
  expect((await postJson(url, '/api/auth', sim.demo)).status).toBe(200);
  return { url, sim, proc, tokenFile: path.join(dataDir, 'tokens.json') };
}

/**
 * Send `count` slow calls (each on its own connection) and wait until all are upstream.
 * A call that fails resolves to its error, so a failed assertion leaves no stray rejection.
 */
async function inFlight(url: string, s: Simulator, count: number): Promise<Promise<RawResponse | Error>[]> {
  const calls = Array.from({ length: count }, (_, i) => rawRequest(url, 'GET', `/api/get-asset-id/${i + 1}`).catch((err: Error) => err));
  await waitUntil(() => (s.calls()[ASSET] ?? 0) === count, `${count} calls upstream`, 5000);
  return calls;
}

/**
 * What a new connection gets after the signal, once the gateway has noticed: refused (the
 * listening socket is closed), reset (it reached the listen queue just before it closed),
 * or a 503 (accepted while closing).
 */
async function newConnectionAfterSignal(url: string, withinMs: number): Promise<string> {
  const until = Date.now() + withinMs;
  for (;;) {
    try {
      const res = await rawRequest(url, 'GET', '/health');
      if (res.status === 503) return `503 ${res.json?.message}`;
      // 200: the signal has not been handled yet.
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? String(err);
    }
    if (Date.now() > until) return 'still accepted';
    await sleep(5);
  }
}

describe('SIGTERM', () => {
  it('during 100 in-flight slow calls: all 100 complete with 200, new connections are refused, exit 0, token file intact', async () => {
    const { url, sim, proc, tokenFile } = await start(1000);
    const tokensBefore = await readFile(tokenFile, 'utf8');
    const calls = await inFlight(url, sim, 100);

    const signalledAt = Date.now();
    proc.child.kill('SIGTERM');
    const newConnection = await newConnectionAfterSignal(url, 3000);
    expect(['ECONNREFUSED', 'ECONNRESET', '503 gateway is shutting down; retry']).toContain(newConnection);

    const results = await Promise.all(calls);
    expect(tally(results.map((r) => (r instanceof Error ? r.message : r.status)))).toEqual({ 200: 100 });
    results.forEach((res, i) => expect((res as RawResponse).json).toMatchObject({ status: 'success', data: { id: i + 1 } }));
    const { code, signal } = await proc.exited;
    const exitMs = Date.now() - signalledAt;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(3000);
    expect(await readFile(tokenFile, 'utf8')).toBe(tokensBefore);
    expect(JSON.parse(tokensBefore)).toMatchObject({ version: 1, accessToken: expect.any(String) });
    expect(proc.logs().some((l) => l.msg === 'shutting down: finishing requests in flight')).toBe(true);
    expect(proc.stderr()).toBe('');
    console.info(`[figures] SIGTERM with 100 calls in flight (1 s upstream latency): new connection -> ${newConnection}; exit 0 after ${exitMs} ms`);
  });

  it('with a hanging upstream: exits shortly after SHUTDOWN_GRACE_MS; the cut calls get a 503 JSON', async () => {
    const { url, sim, proc, tokenFile } = await start(60_000, { SHUTDOWN_GRACE_MS: '300' });
    const tokensBefore = await readFile(tokenFile, 'utf8');
    const calls = await inFlight(url, sim, 10);

    const signalledAt = Date.now();
    proc.child.kill('SIGTERM');
    const results = (await Promise.all(calls)).map((r) => {
      if (r instanceof Error) throw r;
      return r;
    });
    const answeredMs = Date.now() - signalledAt;
    for (const res of results) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json).toEqual({ status: 'error', message: 'gateway is shutting down; retry' });
    }
    const { code } = await proc.exited;
    const exitMs = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(answeredMs).toBeGreaterThanOrEqual(250);
    expect(exitMs).toBeLessThan(2500);
    expect(await readFile(tokenFile, 'utf8')).toBe(tokensBefore);
    console.info(`[figures] SIGTERM, hanging upstream, grace 300 ms: 10 calls answered 503 after ${answeredMs} ms, exit 0 after ${exitMs} ms`);
  });
});
