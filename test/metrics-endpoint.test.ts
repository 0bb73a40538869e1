// GET /metrics: the Prometheus text format with its content type, every gateway metric
// named by the conventions (counters _total, durations _seconds) with help text, the
// process metrics, HEAD, 405 for other methods; and each gateway counting on its own.
import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_S } from '../src/metrics/registry.js';
import { VERSION } from '../src/version.js';
import { parseMetrics, scrape } from './helpers/metrics.js';
import { rawRequest } from './helpers/raw-http.js';
import { ONE_TRY, signIn, startStack, type Stack } from './helpers/stack.js';

const PREFIX = 'evercycle_gateway_';

const stacks: Stack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.close();
});

async function stack(): Promise<Stack> {
  const s = await startStack({ env: ONE_TRY });
  stacks.push(s);
  return s;
}

describe('GET /metrics', () => {
  it('answers the Prometheus text format with its content type', async () => {
    const s = await stack();
    const res = await rawRequest(s.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parseMetrics(res.text).samples.length).toBeGreaterThan(0);
  });

  it('HEAD answers the headers without a body', async () => {
    const s = await stack();
    const res = await rawRequest(s.url, 'HEAD', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toBe('');
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('%s answers 405 in the JSON error shape, with Allow', async (method) => {
    const s = await stack();
    const res = await rawRequest(s.url, method, '/metrics');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json).toEqual({ status: 'error', message: 'method not allowed; use GET, HEAD' });
  });

  it('every gateway metric has help text and a type, counters end in _total, durations in _seconds', async () => {
    const s = await stack();
    const m = await scrape(s.url);
    const families = [...m.types.keys()].filter((name) => name.startsWith(PREFIX));
    expect(Object.fromEntries(families.map((name) => [name, m.types.get(name)]))).toEqual({
      [`${PREFIX}info`]: 'gauge',
      [`${PREFIX}http_requests_total`]: 'counter',
      [`${PREFIX}http_request_duration_seconds`]: 'histogram',
      [`${PREFIX}upstream_request_duration_seconds`]: 'histogram',
      [`${PREFIX}upstream_retries_total`]: 'counter',
      [`${PREFIX}token_refreshes_total`]: 'counter',
      [`${PREFIX}signins_total`]: 'counter',
      [`${PREFIX}token_expires_in_seconds`]: 'gauge',
      [`${PREFIX}circuit_state`]: 'gauge',
      [`${PREFIX}circuit_opens_total`]: 'counter',
      [`${PREFIX}definitions_reloads_total`]: 'counter',
    });
    for (const name of families) expect(m.help.get(name)?.length, name).toBeGreaterThan(20);
  });

  it('says which version serves which upstream, by origin', async () => {
    const s = await stack();
    const m = await scrape(s.url);
    expect(m.series(`${PREFIX}info`)).toEqual([{ name: `${PREFIX}info`, labels: { version: VERSION, upstream: new URL(s.simUrl).origin }, value: 1 }]);
  });

  it('starts with every counter of a fixed label set at 0 and the circuit closed', async () => {
    const s = await stack();
    const m = await scrape(s.url);
    for (const result of ['success', 'failure']) {
      expect(m.value(`${PREFIX}token_refreshes_total`, { result })).toBe(0);
      expect(m.value(`${PREFIX}definitions_reloads_total`, { result })).toBe(0);
      for (const source of ['service_account', 'client']) expect(m.value(`${PREFIX}signins_total`, { result, source })).toBe(0);
    }
    expect(m.series(`${PREFIX}circuit_state`).map((x) => [x.labels.state, x.value])).toEqual([
      ['closed', 1],
      ['open', 0],
      ['half-open', 0],
    ]);
    // Nothing went upstream yet.
    expect(m.series(`${PREFIX}upstream_request_duration_seconds_count`)).toEqual([]);
  });

  it('includes the process metrics', async () => {
    const s = await stack();
    const m = await scrape(s.url);
    expect(m.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(m.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(m.value('process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(m.types.get('nodejs_gc_duration_seconds')).toBe('histogram');
  });

  it('histograms have cumulative buckets from 5 ms up, +Inf equal to _count, and a _sum', async () => {
    const s = await stack();
    for (let i = 0; i < 3; i++) expect((await rawRequest(s.url, 'GET', '/health')).status).toBe(200);
    const m = await scrape(s.url);
    const name = `${PREFIX}http_request_duration_seconds`;
    const labels = { api: '/health', method: 'GET' };
    const buckets = m.series(`${name}_bucket`, labels);
    expect(buckets.map((b) => b.labels.le)).toEqual([...LATENCY_BUCKETS_S.map(String), '+Inf']);
    expect(LATENCY_BUCKETS_S[0]).toBe(0.005);
    const counts = buckets.map((b) => b.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(3);
    expect(m.value(`${name}_count`, labels)).toBe(3);
    expect(m.value(`${name}_sum`, labels)).toBeGreaterThan(0);
    expect(m.value(`${name}_sum`, labels)).toBeLessThan(3);
  });
});

describe('two gateways in one process', () => {
  it('count apart, and both report the process metrics', async () => {
    const [a, b] = [await stack(), await stack()];
    await signIn(a);
    await signIn(b);
    for (let i = 0; i < 3; i++) expect((await rawRequest(a.url, 'GET', '/api/get-asset-id/1')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await rawRequest(b.url, 'GET', '/api/get-asset-id/1')).status).toBe(200);
    const [ma, mb] = [await scrape(a.url), await scrape(b.url)];
    const calls = { api: 'get-asset-id', method: 'GET', status: '200' };
    expect(ma.value(`${PREFIX}http_requests_total`, calls)).toBe(3);
    expect(mb.value(`${PREFIX}http_requests_total`, calls)).toBe(5);
    expect(ma.value(`${PREFIX}signins_total`, { result: 'success', source: 'client' })).toBe(1);
    expect(mb.value(`${PREFIX}signins_total`, { result: 'success', source: 'client' })).toBe(1);
    expect(ma.value(`${PREFIX}info`, { version: VERSION, upstream: new URL(a.simUrl).origin })).toBe(1);
    expect(mb.value(`${PREFIX}info`, { version: VERSION, upstream: new URL(b.simUrl).origin })).toBe(1);
    for (const m of [ma, mb]) expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
