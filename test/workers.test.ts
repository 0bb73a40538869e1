// WORKERS=n: `serve` becomes a primary process forking n workers (node:cluster) that share
// one port and one Redis. It logs one "Evercycle gateway listening" line for all of them,
// restarts a worker that dies, relays SIGHUP (definitions reload) to every worker, and on
// SIGTERM lets every worker finish its requests in flight, then exits 0.
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';
import { tempDir } from './helpers/stack.js';
import { waitUntil } from './helpers/tokens.js';

const ASSET = 'GET /v1/asset/:id';
const LATENCY_MS = 1000;

let redis: RedisServer;
let sim: Simulator;
let simUrl: string;
let proc: CliProcess | undefined;
let dataDir: string | undefined;

beforeAll(async () => {
  if (!HAVE_REDIS) return;
  redis = await startRedis();
  sim = createSimulator({ faults: { [ASSET]: { latencyMs: LATENCY_MS } } });
  simUrl = await sim.listen();
});
afterAll(async () => {
  await sim?.close();
  await redis?.stop();
});
afterEach(async () => {
  await proc?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  proc = dataDir = undefined;
});

/** `serve` with WORKERS=2 on PORT=0 (the workers share whichever port the first one got). */
async function startWorkers(): Promise<string> {
  dataDir = await tempDir('evgw-workers-');
  proc = spawnServe({
    WORKERS: '2',
    PORT: '0',
    EVERCYCLE_REDIS_URL: redis.url,
    EVERCYCLE_REDIS_PREFIX: `test-workers-${Date.now()}:`,
    EVERCYCLE_BASE_URL: simUrl,
    EVERCYCLE_USERNAME: sim.demo.username,
    EVERCYCLE_PASSWORD: sim.demo.password,
    EVERCYCLE_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '0',
  });
  return waitForListening(proc);
}

const logs = () => proc!.logs();
const primaryPid = () => proc!.child.pid;
const workerPids = (): Set<unknown> => new Set(logs().filter((l) => l.msg === 'gateway worker listening').map((l) => l.pid));

/** The pid of the worker that answered: its log line for the response's request id. */
async function answeredBy(res: RawResponse): Promise<unknown> {
  const id = res.headers['x-request-id'];
  let pid: unknown;
  await waitUntil(() => (pid = logs().find((l) => l.msg === 'request completed' && l.request_id === id)?.pid) !== undefined, `log line of request ${id}`, 5000);
  return pid;
}

/**
 * The workers that answered `count` requests, sent 10 at a time on connections of their
 * own: the kernel hands a new connection to whichever worker accepts first, so requests
 * one after another may all land on the same one.
 */
async function pidsAnswering(url: string, count: number): Promise<Set<unknown>> {
  const pids = new Set<unknown>();
  for (let sent = 0; sent < count; sent += 10) {
    const answers = await Promise.all(Array.from({ length: Math.min(10, count - sent) }, () => rawRequest(url, 'GET', '/api/list')));
    for (const res of answers) {
      expect(res.status).toBe(200);
      pids.add(await answeredBy(res));
    }
  }
  return pids;
}

if (!HAVE_REDIS) console.warn(`workers: skipped: ${NO_REDIS_REASON}`);

describe.skipIf(!HAVE_REDIS)('WORKERS=2', () => {
  it('logs one listening line (from the primary, with the workers count), and both workers answer requests', async () => {
    const url = await startWorkers();
    const listening = logs().filter((l) => l.msg === 'Evercycle gateway listening');
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({ url, workers: 2, pid: primaryPid() });
    expect(workerPids().size).toBe(2);
    expect(workerPids().has(primaryPid())).toBe(false);

    const pids = await pidsAnswering(url, 20);
    expect(pids).toEqual(workerPids());
  });

  it('restarts a worker killed with SIGKILL; requests keep succeeding meanwhile and after', async () => {
    const url = await startWorkers();
    const [victim, survivor] = [...workerPids()] as number[];
    process.kill(victim!, 'SIGKILL');
    // The survivor serves while the replacement starts.
    for (let i = 0; i < 5; i++) expect((await rawRequest(url, 'GET', '/api/list')).status).toBe(200);
    await waitUntil(() => workerPids().size === 3, 'a replacement worker listening', 10_000);
    const restart = logs().find((l) => l.msg === 'gateway worker exited unexpectedly; starting a new one');
    expect(restart).toMatchObject({ pid: primaryPid(), worker_pid: victim, signal: 'SIGKILL', restart_in_ms: 250 });
    const replacement = [...workerPids()].find((p) => p !== victim && p !== survivor);
    const pids = await pidsAnswering(url, 20);
    expect(pids).toEqual(new Set([survivor, replacement]));
    expect(logs().filter((l) => l.msg === 'Evercycle gateway listening')).toHaveLength(1);
  });

  it('relays SIGHUP: every worker reloads the definitions', async () => {
    await startWorkers();
    proc!.child.kill('SIGHUP');
    await waitUntil(() => logs().filter((l) => l.trigger === 'SIGHUP' && String(l.msg).startsWith('API definitions reloaded')).length === 2, 'two reloads', 5000);
    const reloads = logs().filter((l) => l.trigger === 'SIGHUP' && String(l.msg).startsWith('API definitions reloaded'));
    expect(new Set(reloads.map((l) => l.pid))).toEqual(workerPids());
  });

  it('on SIGTERM, every worker finishes its calls in flight, then all exit 0', async () => {
    const url = await startWorkers();
    // Signed in (service account) in both workers before the slow calls.
    await pidsAnswering(url, 4);
    sim.resetCalls();
    // Enough calls that both workers most likely hold some (the kernel decides who accepts).
    const calls = Array.from({ length: 20 }, (_, i) => rawRequest(url, 'GET', `/api/get-asset-id/${i + 1}`).catch((err: Error) => err));
    await waitUntil(() => (sim.calls()[ASSET] ?? 0) === 20, '20 calls upstream', 5000);
    const workers = [...workerPids()] as number[];
    proc!.child.kill('SIGTERM');
    const answers = await Promise.all(calls);
    for (const res of answers) expect(res).toMatchObject({ status: 200 });
    const answering = new Set(await Promise.all(answers.map((r) => answeredBy(r as RawResponse))));
    for (const pid of answering) expect(workers).toContain(pid);
    expect(await proc!.exited).toEqual({ code: 0, signal: null });
    for (const pid of workers) {
      expect(logs().some((l) => l.pid === pid && l.msg === 'stopped')).toBe(true);
      expect(() => process.kill(pid, 0)).toThrow();
    }
    expect(logs().find((l) => l.pid === primaryPid() && l.msg === 'stopped')).toMatchObject({ exit_code: 0 });
  });
});
