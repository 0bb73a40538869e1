// The load generator's process (forked by load.ts): runs one job with autocannon, or a
// paced open-loop run at a fixed rate, and sends the result back. Kept apart from the
// orchestrator so its CPU is its own.
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { Histogram } from './histogram.js';
import { serveRequests } from './ipc.js';
import type { LoadJob, LoadResult } from './load.js';

serveRequests(async (message) => {
  if (message.type !== 'run') throw new Error(`unknown request '${message.type}'`);
  const job = message.job as LoadJob;
  return job.rate ? runPaced(job, job.rate) : runAutocannon(job);
});
process.send?.({ type: 'ready', port: 0 });

function runAutocannon(job: LoadJob): Promise<LoadResult> {
  // autocannon's histogram holds whole milliseconds: latencies are recorded here as floats.
  const latency = new Histogram();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        method: job.method,
        headers: job.headers,
        ...(job.body !== undefined && { body: job.body }),
        connections: job.connections,
        pipelining: 1,
        duration: job.durationS,
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err);
        const statusCounts: Record<string, number> = {};
        for (const [status, { count }] of Object.entries(result.statusCodeStats)) statusCounts[status] = count;
        const requests = Object.values(statusCounts).reduce((a, b) => a + b, 0);
        resolve({
          tool: 'autocannon',
          durationS: result.duration,
          requests,
          rps: requests / result.duration,
          latencyMs: latency.summary(),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCounts,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) latency.record(responseTimeMs);
    });
  });
}

/**
 * Open loop at a fixed rate, wrk2-style: request i is due at start + i/rate whatever the
 * server is doing (autocannon's overallRate instead sends each connection's quota for the
 * second back-to-back, so half the rate is still full load in bursts). Latency runs from
 * the moment the request is handed to the pool, its wait for a free connection included.
 */
/** Pools of the paced runs, kept from a warm-up to the measured run. */
const pools = new Map<string, Pool>();

function runPaced(job: LoadJob, rate: number): Promise<LoadResult> {
  const url = new URL(job.url);
  const key = `${url.origin} ${job.connections}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new Pool(url.origin, { connections: job.connections, pipelining: 1 })));
  const client = pool;
  const latency = new Histogram();
  const statusCounts: Record<string, number> = {};
  const body = job.body === undefined ? undefined : Buffer.from(job.body);
  const path = url.pathname + url.search;
  const total = Math.round(rate * job.durationS);
  const intervalMs = 1000 / rate;
  let sent = 0;
  let settled = 0;
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (): void => {
      const durationS = (performance.now() - started) / 1000;
      const requests = Object.values(statusCounts).reduce((a, b) => a + b, 0);
      resolve({ tool: 'paced', durationS, requests, rps: requests / durationS, latencyMs: latency.summary(), non2xx, errors, timeouts, statusCounts });
    };
    const fire = (): void => {
      const t0 = performance.now();
      client
        .request({ method: job.method as 'GET', path, headers: job.headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 })
        .then(async (res) => {
          await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
          const ms = performance.now() - t0;
          statusCounts[res.statusCode] = (statusCounts[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 200 && res.statusCode < 300) latency.record(ms);
          else non2xx++;
        })
        .catch((err: { code?: string }) => {
          if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') timeouts++;
          else errors++;
        })
        .finally(() => {
          if (++settled === total) finish();
        });
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
      while (sent < due) {
        sent++;
        fire();
      }
      if (sent < total) setTimeout(tick, 1);
    };
    if (total === 0) finish();
    else tick();
  });
}
