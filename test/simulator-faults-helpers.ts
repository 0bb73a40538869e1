// Helpers for the fault-injection tests: an HTTP exchange over node:http that never
// rejects, so a test can look at what arrived before a connection died, and timing.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Exchange {
  /** Undefined when the connection died before the status line. */
  status: number | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The socket or parser error, if the exchange did not complete. */
  error: Error | undefined;
  /** ms from sending to the status line (undefined if none) and to the end or the error. */
  headersAfterMs: number | undefined;
  totalMs: number;
}

export function exchange(
  base: string,
  method: string,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; json?: unknown; signal?: AbortSignal } = {},
): Promise<Exchange> {
  const { hostname, port } = new URL(base);
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers = { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const started = performance.now();
  return new Promise((resolve) => {
    const result: Exchange = { status: undefined, headers: {}, body: '', error: undefined, headersAfterMs: undefined, totalMs: 0 };
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      result.error = error;
      result.totalMs = performance.now() - started;
      resolve(result);
    };
    const req = http.request({ host: hostname, port, method, path, headers, agent: false, signal: options.signal }, (res) => {
      result.status = res.statusCode;
      result.headers = res.headers;
      result.headersAfterMs = performance.now() - started;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (result.body += chunk));
      res.on('end', () => settle());
      res.on('error', (err) => settle(err));
      res.on('aborted', () => settle(new Error('response aborted')));
    });
    req.on('error', (err) => settle(err));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Timers alive in this process right now (vitest's own included: compare, never assume zero). */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll until `check` holds or `timeoutMs` passes; answers whether it held. */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}
