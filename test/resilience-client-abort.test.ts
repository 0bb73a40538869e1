// Client aborts: when a client goes away mid-call the upstream request is abandoned too,
// and nothing leaks: 1,000 calls aborted while the upstream is still "thinking" leave no
// open upstream sockets, no pending timers and no heap growth beyond noise, and the
// gateway keeps answering.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPool, sleep, timed } from './helpers/load.js';
import { rawRequest } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';
import { waitUntil } from './helpers/tokens.js';

const ASSET = 'GET /v1/asset/:id';
const LATENCY_MS = 300;
/** A call not upstream by then is aborted anyway (it never is, unless something is wrong). */
const MAX_WAIT_MS = 2000;
const CONCURRENCY = 50;
/** The gateway's upstream pool size (src/upstream/client.ts): the most connections it may hold. */
const GATEWAY_POOL_CONNECTIONS = 128;

/** A real full collection, so heap figures are not at the mercy of when V8 collects. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('1,000 requests aborted mid-flight', () => {
  let s: Stack;
  /** Sockets open at the simulator (connections from the gateway's pool), and those that carried a request. */
  const open = new Set<Socket>();
  const used = new WeakSet<Socket>();
  let accepted = 0;
  const openUsed = (): number => [...open].filter((socket) => used.has(socket)).length;
  beforeAll(async () => {
    // RATE_LIMIT_MAX=0: 1,250 calls from one client would exceed the default client rate limit.
    s = await startStack({ env: { EVERCYCLE_REFRESH_AHEAD_S: '0', RATE_LIMIT_MAX: '0' }, simulator: { faults: { [ASSET]: { latencyMs: LATENCY_MS } } } });
    s.sim.app.server.on('connection', (socket: Socket) => {
      accepted++;
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    s.sim.app.server.on('request', (req: IncomingMessage) => {
      used.add(req.socket);
      const id = /^\/v1\/asset\/(\d+)$/.exec(req.url ?? '')?.[1];
      if (id) arrivals.get(Number(id))?.();
    });
    await signIn(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Resolvers of calls waiting for the simulator to receive them, by asset id. */
  const arrivals = new Map<number, () => void>();
  let nextId = 100_000;

  /**
   * `n` calls through fetch, each aborted once the simulator has received it (it then
   * "thinks" for LATENCY_MS, so every abort lands mid-flight). The client has its own
   * connection pool, destroyed afterwards: undici leaves a never-used connection behind
   * per aborted call (see below), and the gateway's shutdown would wait for those for
   * its whole grace period (Node's closeIdleConnections skips connections that never
   * carried a request).
   */
  async function abortedCalls(n: number): Promise<void> {
    const client = new Agent({ connections: CONCURRENCY });
    try {
      await runPool(n, CONCURRENCY, () => abortedCall(client, nextId++));
    } finally {
      await client.destroy();
    }
  }

  async function abortedCall(client: Agent, id: number): Promise<void> {
    const controller = new AbortController();
    // Unknown ids answer 404, after the same latency: the id only tells the calls apart.
    const upstream = new Promise<void>((resolve) => arrivals.set(id, resolve));
    const fallback = setTimeout(() => controller.abort(), MAX_WAIT_MS);
    void upstream.then(() => controller.abort());
    try {
      const res = await fetch(`${s.url}/api/get-asset-id/${id}`, { signal: controller.signal, dispatcher: client });
      await res.text();
      throw new Error(`call ${id} was answered ${res.status} before it was aborted`);
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      clearTimeout(fallback);
      arrivals.delete(id);
    }
  }

  it('abandons every upstream call, leaks no socket, timer or heap, and the gateway still answers', async () => {
    const gc = collector();
    // Warm up (JIT, pools, lazily built things), then take the baseline.
    expect((await rawRequest(s.url, 'GET', '/api/get-asset-id/1')).status).toBe(200);
    await abortedCalls(200);
    await sleep(LATENCY_MS);
    s.sim.resetCalls();
    const baseOpen = open.size;
    const baseTimers = timeouts();
    const baseHeap = await settledHeap(gc);
    const acceptedBefore = accepted;

    const { ms } = await timed(() => abortedCalls(1000));

    // Each aborted call reached the simulator exactly once (never retried)...
    const received = s.sim.calls()[ASSET] ?? 0;
    expect(received).toBe(1000);
    // ...and the connection carrying it was destroyed: no socket that carried a call is left.
    const { ms: settleMs } = await timed(() => waitUntil(() => openUsed() === 0, 'the sockets of the aborted calls to close', 1000));
    // undici (7.30.2; nodejs/undici#5845) opens a replacement connection after an aborted
    // call and leaves it idle until its keep-alive timeout: those never carry anything,
    // are bounded by the pool size and are reused (below), not accumulated.
    const idle = open.size;
    expect(idle).toBeLessThanOrEqual(GATEWAY_POOL_CONNECTIONS + 1);
    await sleep(LATENCY_MS + 50);
    expect(s.sim.faultCounts()[ASSET]).toMatchObject({ real: received });

    const heapGrowth = (await settledHeap(gc)) - baseHeap;
    expect(heapGrowth).toBeLessThan(10 * 1024 * 1024);
    expect(timeouts()).toBeLessThanOrEqual(baseTimers + 2);

    // Still serving, reusing the idle connections it has: 50 concurrent calls open only
    // the ones those do not cover.
    s.sim.faults.clear();
    const acceptedAfterAborts = accepted;
    const answers = await runPool(CONCURRENCY, CONCURRENCY, (i) => rawRequest(s.url, 'GET', `/api/get-asset-id/${i + 1}`));
    for (const [i, res] of answers.entries()) expect(res.json).toMatchObject({ status: 'success', data: { id: i + 1 } });
    expect(accepted - acceptedAfterAborts).toBeLessThanOrEqual(CONCURRENCY - Math.min(idle, CONCURRENCY) + 1);
    const health = await rawRequest(s.url, 'GET', '/health');
    expect(health.json).toMatchObject({ status: 'ok', circuit: 'closed' });
    console.info(
      `[figures] 1,000 aborts (concurrency ${CONCURRENCY}) in ${Math.round(ms)} ms: ${received} reached the simulator over ${accepted - acceptedBefore} connections; ` +
        `sockets of aborted calls all closed ${Math.round(settleMs)} ms after; idle replacement sockets ${idle} (baseline ${baseOpen}); ` +
        `heap growth ${(heapGrowth / 1024 / 1024).toFixed(2)} MB; timers ${timeouts()} (baseline ${baseTimers})`,
    );
  }, 30_000);
});
