// deploy/Caddyfile, exercised: the system's caddy load-balancing two real gateway
// processes (`node dist/cli/main.js serve`) sharing one Redis, in front of one simulator,
// all on loopback. What it shows: killing one instance under a steady load of reads and
// creates loses no read, fails only creates that were in flight on it and creates nothing
// twice; and the gateways log the client's address as Caddy forwarded it, never one the
// client wrote itself.
import http from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { findCaddy, startCaddy, validateCaddyfile, type RunningCaddy } from './helpers/caddy.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { sleep } from './helpers/load.js';
import { freePort } from './helpers/ports.js';
import { rawRequest } from './helpers/raw-http.js';
import { HAVE_REDIS, NO_REDIS_REASON, startRedis, type RedisServer } from './helpers/redis.js';
import { tempDir } from './helpers/stack.js';

const CADDY = findCaddy();
if (!CADDY) console.warn('deploy-caddy: no caddy binary (apt-get install caddy, or set CADDY_PATH): these tests are skipped');
if (!HAVE_REDIS) console.warn(`deploy-caddy: skipped: ${NO_REDIS_REASON}`);

interface Instance {
  port: number;
  dataDir: string;
  proc: CliProcess;
}

describe.skipIf(!CADDY || !HAVE_REDIS)('deploy/Caddyfile in front of two gateways', () => {
  const caddy = CADDY!;
  let redis: RedisServer;
  let sim: Simulator;
  let simUrl: string;
  let a: Instance;
  let b: Instance;
  let proxy: RunningCaddy;

  async function startInstance(port: number, dataDir?: string): Promise<Instance> {
    const dir = dataDir ?? (await tempDir());
    const proc = spawnServe({
      PORT: String(port),
      HOST: '127.0.0.1',
      EVERCYCLE_BASE_URL: simUrl,
      EVERCYCLE_DATA_DIR: dir,
      EVERCYCLE_REDIS_URL: redis.url,
      EVERCYCLE_USERNAME: sim.demo.username,
      EVERCYCLE_PASSWORD: sim.demo.password,
      TRUST_PROXY: '127.0.0.1',
      // The load below is one client: the per-client limit is not what this test is about.
      RATE_LIMIT_MAX: '0',
      DEFINITIONS_WATCH: 'false',
      LOG_LEVEL: 'info',
    });
    await waitForListening(proc);
    // Signed in by itself (service account) before it is put behind the proxy.
    for (let i = 0; ; i++) {
      const res = await rawRequest(`http://127.0.0.1:${port}`, 'GET', '/health');
      if (res.json?.authenticated === true) break;
      if (i > 200) throw new Error(`instance on ${port} did not sign in: ${res.text}`);
      await sleep(25);
    }
    return { port, dataDir: dir, proc };
  }

  /** Request-log lines (one per completed request) of an instance. */
  const requestLines = (inst: Instance) => inst.proc.logs().filter((l) => l.msg === 'request completed' || typeof l.request_id === 'string');

  beforeAll(async () => {
    redis = await startRedis();
    sim = createSimulator();
    simUrl = await sim.listen();
    [a, b] = await Promise.all([startInstance(await freePort()), startInstance(await freePort())]);
    proxy = await startCaddy(caddy, { a: `127.0.0.1:${a.port}`, b: `127.0.0.1:${b.port}` });
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    for (const inst of [a, b]) {
      if (!inst) continue;
      await inst.proc.stop();
      await rm(inst.dataDir, { recursive: true, force: true });
    }
    await sim?.close();
    await redis?.stop();
  });

  it('is a valid Caddyfile for caddy validate, with the defaults and with a TLS site name', () => {
    const plain = validateCaddyfile(caddy);
    expect(plain.status, plain.output).toBe(0);
    const tls = validateCaddyfile(caddy, { SITE_ADDRESS: 'api.example.com', GATEWAY_A: '127.0.0.1:5001', GATEWAY_B: '127.0.0.1:5002' });
    expect(tls.status, tls.output).toBe(0);
  });

  it('spreads concurrent requests over both instances (least_conn)', async () => {
    // Each answer takes 200 ms, so the requests are under way together: least_conn sends
    // each new one to the instance with fewer in flight.
    sim.faults.set('*', { latencyMs: 200 });
    const ids = Array.from({ length: 20 }, (_, i) => `spread-${i}`);
    try {
      const answers = await Promise.all(ids.map((id) => rawRequest(proxy.url, 'GET', '/api/get-all?per_page=1', { headers: { 'x-request-id': id } })));
      for (const res of answers) expect(res.status, res.text).toBe(200);
    } finally {
      sim.faults.clear();
    }
    await sleep(100);
    const onA = requestLines(a).filter((l) => ids.includes(String(l.request_id))).length;
    const onB = requestLines(b).filter((l) => ids.includes(String(l.request_id))).length;
    expect(onA + onB).toBe(20);
    expect(onA).toBeGreaterThanOrEqual(8);
    expect(onB).toBeGreaterThanOrEqual(8);
  });

  it('logs the client address Caddy forwarded, not the socket peer, and never one the client wrote', async () => {
    // The client connects to Caddy from 127.0.0.2; Caddy connects to the gateways from
    // 127.0.0.1. So client_ip 127.0.0.2 can only come from X-Forwarded-For (TRUST_PROXY
    // believes it from 127.0.0.1), and Caddy replaced the client's own forged entry.
    const viaProxy = await rawRequest(proxy.url, 'GET', '/api/get-all?per_page=1', {
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'xff-through-caddy' },
    });
    expect(viaProxy.status, viaProxy.text).toBe(200);

    // Control: the same forged header sent straight to a gateway from 127.0.0.1 (a trusted
    // proxy address) IS believed. So the result above is Caddy's doing, not the gateway
    // ignoring the header; and 203.0.113.9 is not loopback, so without keys it gets 403.
    const direct = await rawRequest(`http://127.0.0.1:${a.port}`, 'GET', '/api/get-all?per_page=1', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'xff-direct-trusted' },
    });
    expect(direct.status).toBe(403);

    // And from an address that is not the named proxy, the header is ignored.
    const untrusted = await rawRequest(`http://127.0.0.1:${a.port}`, 'GET', '/api/get-all?per_page=1', {
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'xff-direct-untrusted' },
    });
    expect(untrusted.status, untrusted.text).toBe(200);

    await sleep(100);
    const line = (id: string) => [...requestLines(a), ...requestLines(b)].find((l) => l.request_id === id);
    expect(line('xff-through-caddy')?.client_ip).toBe('127.0.0.2');
    expect(line('xff-direct-trusted')?.client_ip).toBe('203.0.113.9');
    expect(line('xff-direct-untrusted')?.client_ip).toBe('127.0.0.2');
    const all = [...a.proc.stdout().split('\n'), ...b.proc.stdout().split('\n')];
    expect(all.filter((l) => l.includes('xff-through-caddy') && l.includes('203.0.113.9'))).toEqual([]);
  });

  it('killing one instance under steady load loses no read, fails only creates in flight on it, and creates nothing twice', async () => {
    const READERS = 7;
    const WRITERS = 3;
    const DURATION_MS = 4_000;
    const KILL_AT_MS = 1_500;
    const agent = new http.Agent({ keepAlive: true, maxSockets: READERS + WRITERS });
    const { port } = new URL(proxy.url);
    interface Outcome {
      kind: 'read' | 'create';
      start: number;
      end: number;
      status: number | string;
      id: string;
    }
    const outcomes: Outcome[] = [];
    /** The body of each answer that was not a success, by request id. */
    const bodies = new Map<string, string>();
    const send = (id: string, kind: Outcome['kind']): Promise<number | string> =>
      new Promise((resolve) => {
        const create = kind === 'create';
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            agent,
            method: create ? 'POST' : 'GET',
            path: create ? '/api/create' : '/api/get-all?per_page=5',
            headers: { 'x-request-id': id, ...(create && { 'content-type': 'application/json' }) },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString('utf8')));
            res.on('end', () => {
              if ((res.statusCode ?? 0) >= 300) bodies.set(id, body.slice(0, 300));
              resolve(res.statusCode ?? 0);
            });
            res.on('error', (e) => resolve(e.message));
          },
        );
        req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
        // The request id is the serial number: each create can be found afterwards.
        req.end(create ? JSON.stringify({ asset_type_id: 1, make: 'Caddy', model: 'Kill test', serial_number: id, year: 2024 }) : undefined);
      });

    // Every upstream answer takes 100 ms, so several requests are always under way on the
    // instance that is killed (without it they would last about a millisecond).
    sim.faults.set('*', { latencyMs: 100 });
    const runId = Date.now().toString(36);
    const t0 = performance.now();
    let n = 0;
    const loop = async (kind: Outcome['kind']): Promise<void> => {
      while (performance.now() - t0 < DURATION_MS) {
        const id = `${kind}-${runId}-${n++}`;
        const start = performance.now() - t0;
        const status = await send(id, kind);
        outcomes.push({ kind, start, end: performance.now() - t0, status, id });
      }
    };
    let killedAt = 0;
    // When the process was seen gone: SIGKILL takes a few ms to end it, and a request that
    // reached it meanwhile was in flight on it too.
    let diedAt = 0;
    const killer = (async () => {
      await sleep(KILL_AT_MS);
      killedAt = performance.now() - t0;
      a.proc.child.kill('SIGKILL');
      await a.proc.exited;
      diedAt = performance.now() - t0;
    })();
    try {
      await Promise.all([...Array.from({ length: READERS }, () => loop('read')), ...Array.from({ length: WRITERS }, () => loop('create')), killer]);
    } finally {
      sim.faults.clear();
    }
    agent.destroy();
    await a.proc.exited;

    const reads = outcomes.filter((o) => o.kind === 'read');
    const creates = outcomes.filter((o) => o.kind === 'create');
    const ok = (o: Outcome) => o.status === 200 || o.status === 201;
    const failed = (list: Outcome[]) => list.filter((o) => !ok(o));
    const inFlight = (list: Outcome[]) => list.filter((o) => o.start <= killedAt && o.end >= killedAt);
    const startedAfter = outcomes.filter((o) => o.start > diedAt);
    // Every serial number the simulator holds now, by how often.
    const stored = new Map<string, number>();
    for (let page = 1; ; page++) {
      const res = await rawRequest(proxy.url, 'GET', `/api/get-all?per_page=500&page_num=${page}`);
      expect(res.status, res.text).toBe(200);
      const rows = (res.json.data.data ?? res.json.data) as { serial_number?: string }[];
      for (const row of rows) if (row.serial_number?.includes(runId)) stored.set(row.serial_number, (stored.get(row.serial_number) ?? 0) + 1);
      if (rows.length < 500) break;
    }
    await sleep(300); // pino writes the request lines asynchronously: let the last ones arrive
    const servedByB = new Set(requestLines(b).map((l) => l.request_id));
    const down = proxy.logs().find((l) => typeof l.ts === 'number' && String(l.host ?? '').endsWith(`:${a.port}`) && l.msg !== 'host is up');
    console.log(
      `deploy-caddy: ${outcomes.length} requests (${reads.length} reads, ${creates.length} creates) in ${DURATION_MS} ms from ${READERS + WRITERS} clients; ` +
        `instance killed at ${killedAt.toFixed(0)} ms (gone at ${diedAt.toFixed(0)} ms) with ${inFlight(reads).length} reads and ${inFlight(creates).length} creates in flight through Caddy; ` +
        `failed: ${failed(reads).length} reads, ${failed(creates).length} creates ${JSON.stringify(failed(creates).map((f) => ({ status: f.status, start: Math.round(f.start), body: bodies.get(f.id) })))}; ` +
        `${startedAfter.length} started after the kill, all answered ${[...new Set(startedAfter.map((o) => o.status))].join(',')}; ` +
        `${stored.size} assets created, none twice: ${[...stored.values()].every((c) => c === 1)}; ` +
        `first Caddy log about the dead instance: ${down ? JSON.stringify({ msg: down.msg, error: down.error }) : 'none'}`,
    );

    expect(reads.length).toBeGreaterThan(100);
    expect(creates.length).toBeGreaterThan(40);
    // Reads in flight on the killed instance are tried again on the other one by Caddy
    // (it retries a GET whose instance failed mid-way): no read is lost.
    expect(failed(reads)).toEqual([]);
    // A create is never sent twice: one in flight on the killed instance fails (502: it may
    // have reached Evercycle), at most one per writing client, and only one started before the kill.
    expect(failed(creates).length).toBeLessThanOrEqual(WRITERS);
    for (const f of failed(creates)) {
      expect(f.start).toBeLessThanOrEqual(diedAt);
      // The Caddyfile's handle_errors: the gateway's error shape, not an empty body.
      expect(JSON.parse(bodies.get(f.id) ?? 'null')).toMatchObject({ status: 'error', message: expect.stringMatching(/^no answer from a gateway instance \(50\d at the load balancer\)/) });
    }
    // Every request started after the kill was answered, by the survivor.
    expect(startedAfter.length).toBeGreaterThan(100);
    expect(startedAfter.filter((o) => !ok(o))).toEqual([]);
    expect(startedAfter.filter((o) => !servedByB.has(o.id)).map((o) => o.id)).toEqual([]);
    // Nothing created twice; every answered create is there once; a failed one at most once.
    expect([...stored.values()].filter((c) => c !== 1)).toEqual([]);
    for (const c of creates.filter(ok)) expect(stored.get(c.id), c.id).toBe(1);
    expect(stored.size).toBeLessThanOrEqual(creates.length);
  }, 30_000);

  it('puts a restarted instance back into the rotation once /ready answers', async () => {
    const revived = await startInstance(a.port, a.dataDir);
    a = revived;
    const listeningAt = performance.now();
    let backAfterMs = -1;
    // When each request was answered, by id: log lines reach stdout in batches (within
    // 100 ms), so the line of the request the revived instance served may show up later.
    const answeredAt = new Map<string, number>();
    for (let i = 0; performance.now() - listeningAt < 10_000; i++) {
      const id = `revive-${i}`;
      const res = await rawRequest(proxy.url, 'GET', '/api/get-all?per_page=1', { headers: { 'x-request-id': id } });
      expect(res.status, res.text).toBe(200);
      answeredAt.set(id, performance.now() - listeningAt);
      const served = requestLines(revived).find((l) => answeredAt.has(String(l.request_id)));
      if (served) {
        backAfterMs = answeredAt.get(String(served.request_id))!;
        break;
      }
      await sleep(50);
    }
    console.log(`deploy-caddy: restarted instance served again ${backAfterMs.toFixed(0)} ms after it was ready (health_interval 1s, fail_duration 2s)`);
    expect(backAfterMs).toBeGreaterThanOrEqual(0);
    // At most one health_interval (1 s) after the passive fail_duration (2 s, counted from
    // the instance's last failed connection) has run out, plus scheduling slack.
    expect(backAfterMs).toBeLessThan(5_000);
  }, 30_000);
});
