// wrk as the load generator when it is on PATH: its command line, its Lua script, and
// reading the script's JSON summary (pure).
import type { LoadJob, LoadResult } from './load.js';

const MARK = 'BENCH_JSON ';

/** The Lua script for a job: method, headers, body (read from `bodyFile`), and a JSON summary on stdout. */
export function wrkScript(job: LoadJob, bodyFile: string | undefined): string {
  const lines = [`wrk.method = ${lua(job.method)}`];
  for (const [name, value] of Object.entries(job.headers)) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  if (bodyFile) lines.push(`local f = assert(io.open(${lua(bodyFile)}, "rb"))`, 'wrk.body = f:read("*a")', 'f:close()');
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${MARK}{"requests":%d,"duration_us":%d,"status_errors":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,` +
      `"p50":%f,"p99":%f,"p999":%f,"max":%f,"mean":%f}\\n', summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, ` +
      'latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

/** One thread: on this 2-core box the other core belongs to the server under test. */
export function wrkArgs(job: LoadJob, scriptFile: string, threads = 1): string[] {
  return ['-t', String(threads), '-c', String(job.connections), '-d', `${job.durationS}s`, '--timeout', '10s', '-s', scriptFile, job.url];
}

/** The summary the script printed; throws when it is missing. */
export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const s = JSON.parse(line.slice(MARK.length)) as Record<string, number>;
  const num = (k: string): number => s[k] ?? 0;
  const durationS = num('duration_us') / 1e6;
  const errors = num('connect') + num('read') + num('write');
  // wrk counts responses with a status above 399 as "status errors"; 3xx pass as success.
  const non2xx = num('status_errors');
  return {
    tool: 'wrk',
    durationS,
    requests: num('requests'),
    rps: durationS > 0 ? num('requests') / durationS : 0,
    latencyMs: { p50: num('p50') / 1000, p99: num('p99') / 1000, p999: num('p999') / 1000, max: num('max') / 1000, mean: num('mean') / 1000, count: num('requests') - non2xx },
    non2xx,
    errors,
    timeouts: num('timeout'),
    statusCounts: {},
  };
}

function lua(value: string): string {
  return JSON.stringify(value); // a JSON string literal is a valid Lua string literal for these (ASCII) values
}
