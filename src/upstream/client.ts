// The one keep-alive connection pool to the Evercycle API, and the only place that
// performs upstream HTTP. Callers get a fully read, decoded body or a typed error.
import { Pool, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { decodeBody } from './decode.js';
import { UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';

export interface UpstreamRequest {
  method: string;
  /** Path plus optional query, already encoded, e.g. `/v1/asset/42?x=1`. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Whole-request deadline in ms (connect, headers and body). */
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The decoded (decompressed) body; empty when the upstream sent none. */
  body: Buffer;
  durationMs: number;
}

export interface UpstreamClientOptions {
  baseUrl: string;
  /** Largest upstream body accepted after decoding, in bytes. */
  maxResponseBytes?: number;
  connections?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class UpstreamClient {
  readonly baseUrl: string;
  private readonly pool: Pool;
  /** Path prefix of the base URL (e.g. `/evercycle` for `https://host/evercycle`), or ''. */
  private readonly prefix: string;
  private readonly maxResponseBytes: number;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 128,
      keepAliveTimeout: 10_000,
      // undici's own phase timeouts are set per request from the caller's deadline.
    });
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const started = performance.now();
    const signal = AbortSignal.timeout(req.timeoutMs);
    try {
      const res = await this.pool.request({
        method: req.method as 'GET',
        path: this.prefix + req.path,
        headers: req.headers,
        body: req.body,
        signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const raw = await readLimited(res.body, this.maxResponseBytes);
      const body = await decodeBody(raw, res.headers['content-encoding'], this.maxResponseBytes);
      return { status: res.statusCode, headers: res.headers, body, durationMs: performance.now() - started };
    } catch (err) {
      throw classify(err, signal, req.timeoutMs);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new UpstreamUnavailableError(`upstream response larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function classify(err: unknown, signal: AbortSignal, timeoutMs: number): Error {
  if (err instanceof UpstreamUnavailableError || err instanceof UpstreamTimeoutError) return err;
  const code = (err as { code?: string }).code;
  if (signal.aborted || (code && TIMEOUT_CODES.has(code))) {
    return new UpstreamTimeoutError(`upstream did not answer within ${timeoutMs} ms`);
  }
  if (err instanceof undiciErrors.UndiciError || (code && /^E[A-Z]+/.test(code))) {
    return new UpstreamUnavailableError(`upstream unreachable (${code ?? (err as Error).name})`);
  }
  return new UpstreamUnavailableError(`upstream request failed: ${(err as Error).message}`);
}
