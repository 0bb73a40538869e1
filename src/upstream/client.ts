// The only place that performs upstream HTTP: keep-alive connection pools to the Evercycle
// API, per-try timeouts, the circuit breaker and retries. Callers get a fully read,
// decoded answer or a typed error (errors.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { Pool, errors as undiciErrors } from 'undici';
import { BrokenCircuitError, type UpstreamBreaker } from './breaker.js';
import { cancellableSleep, type Cancellation } from './cancellation.js';
import { decodeBody } from './decode.js';
import { dispatchTry } from './try.js';
import { CircuitOpenError, ClientAbortedError, ShuttingDownError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';
import { decideRetry, type RetryPolicy, type TryOutcome } from './retry-policy.js';

export interface Timeouts {
  /** Establishing a connection (ms). */
  connectMs: number;
  /** From sending the request to the response headers (ms). */
  headersMs: number;
  /** Reading the whole body once the headers arrived (ms). */
  bodyMs: number;
}

export interface UpstreamRequest {
  method: string;
  /** Path plus optional query, already encoded, e.g. `/v1/asset/42?x=1`. */
  path: string;
  headers: Record<string, string>;
  /** Sent as is on every try, so a retry or replay sends the same bytes. */
  body?: Buffer | undefined;
  timeouts: Timeouts;
  retry: RetryPolicy;
  /** Cancelled when our client goes away: the upstream call (and any retry wait) is abandoned. */
  cancellation?: Cancellation | undefined;
  /** What the call is for (an API name, 'auth:signin', 'auth:refresh'), passed to the observer. Never client input. */
  operation?: string | undefined;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The decoded (decompressed) body; empty when the upstream sent none. */
  body: Buffer;
  /** Tries made (1 without retries). */
  attempts: number;
}

/** How one try ended: the upstream's status, or no usable answer. */
export type TryResult = number | 'timeout' | 'unavailable' | 'aborted';

/** One upstream try (the first of a call or a retry), as observers see it. */
export interface UpstreamTry {
  operation: string | undefined;
  /** 1 for a call's first try, 2 for its first retry, ... */
  attempt: number;
  durationMs: number;
  result: TryResult;
}

/** Told about every try that went upstream (metrics). Calls the open circuit refused made none. */
export interface UpstreamObserver {
  onTry(event: UpstreamTry): void;
}

export interface UpstreamClientOptions {
  baseUrl: string;
  breaker: UpstreamBreaker;
  logger: Logger;
  observer?: UpstreamObserver | undefined;
  /** Largest upstream body accepted after decoding, in bytes. */
  maxResponseBytes?: number;
  connections?: number;
  random?: () => number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** Failures that happen before any byte of the request is written: safe to send again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class UpstreamClient {
  readonly baseUrl: string;
  private readonly origin: string;
  /** Path prefix of the base URL (e.g. `/evercycle` for `https://host/evercycle`), or ''. */
  private readonly prefix: string;
  /** One keep-alive pool per connect timeout in use: normally exactly one. */
  private readonly pools = new Map<number, Pool>();
  private readonly maxResponseBytes: number;
  private readonly random: () => number;
  private destroyed = false;

  constructor(private readonly options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.baseUrl = options.baseUrl;
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.random = options.random ?? Math.random;
  }

  /** One call with retries as the policy allows. Throws the errors of errors.ts. */
  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      if (this.destroyed) throw new ShuttingDownError();
      let response: Omit<UpstreamResponse, 'attempts'> | undefined;
      let failure: UpstreamTimeoutError | UpstreamUnavailableError | undefined;
      try {
        response = await this.options.breaker.execute(() => this.observedOnce(req, attempt));
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw new CircuitOpenError(this.options.breaker.retryAfterS());
        if (!(err instanceof UpstreamTimeoutError || err instanceof UpstreamUnavailableError)) throw err;
        failure = err;
      }
      const outcome: TryOutcome = response
        ? { kind: 'status', status: response.status, retryAfter: header(response.headers['retry-after']) }
        : { kind: 'error', sent: failure!.sent };
      const decision = decideRetry({ method: req.method, outcome, attempt, elapsedMs: Date.now() - started, policy: req.retry, nowMs: Date.now(), random: this.random });
      if (!decision.retry) {
        if (response) return { ...response, attempts: attempt };
        throw failure!;
      }
      this.options.logger.info(
        { upstream_path: req.path.split('?')[0], attempt, delay_ms: decision.delayMs, cause: response ? response.status : failure!.message },
        'retrying upstream call',
      );
      await cancellableSleep(decision.delayMs, req.cancellation, () => new ClientAbortedError());
    }
  }

  /** One try, reported to the observer with its duration and how it ended. */
  private observedOnce(req: UpstreamRequest, attempt: number): Promise<Omit<UpstreamResponse, 'attempts'>> {
    const observer = this.options.observer;
    if (!observer) return this.once(req);
    const started = performance.now();
    const report = (result: TryResult): void => observer.onTry({ operation: req.operation, attempt, durationMs: performance.now() - started, result });
    return this.once(req).then(
      (response) => {
        report(response.status);
        return response;
      },
      (err: unknown) => {
        report(err instanceof UpstreamTimeoutError ? 'timeout' : err instanceof ClientAbortedError ? 'aborted' : 'unavailable');
        throw err;
      },
    );
  }

  /** One try: connect, send, read the whole body, decode. */
  private async once(req: UpstreamRequest): Promise<Omit<UpstreamResponse, 'attempts'>> {
    try {
      const answer = await dispatchTry(this.pool(req.timeouts.connectMs), {
        method: req.method,
        path: this.prefix + req.path,
        headers: req.headers,
        body: req.body,
        headersMs: req.timeouts.headersMs,
        bodyMs: req.timeouts.bodyMs,
        maxBytes: this.maxResponseBytes,
        cancellation: req.cancellation,
      });
      const body = await decodeBody(answer.raw, answer.headers['content-encoding'], this.maxResponseBytes);
      return { status: answer.status, headers: answer.headers, body };
    } catch (err) {
      if (req.cancellation?.aborted) throw new ClientAbortedError();
      // Cut off by shutdown mid-call: the request may have arrived, so no "retry" here.
      if (this.destroyed) throw new UpstreamUnavailableError('the gateway shut down while waiting for Evercycle', true);
      throw classify(err);
    }
  }

  private pool(connectMs: number): Pool {
    let pool = this.pools.get(connectMs);
    if (!pool) {
      pool = new Pool(this.origin, {
        connections: this.options.connections ?? 128,
        keepAliveTimeout: 10_000,
        // Never keep an idle connection longer than that, whatever Keep-Alive hint the upstream sends.
        keepAliveMaxTimeout: 10_000,
        connect: { timeout: connectMs },
      });
      this.pools.set(connectMs, pool);
    }
    return pool;
  }

  /** Close the pools once the calls in flight have finished. */
  async close(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  /** Abandon every call in flight now (the shutdown grace period is over). */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function classify(err: unknown): Error {
  if (err instanceof UpstreamUnavailableError || err instanceof UpstreamTimeoutError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new UpstreamTimeoutError('could not connect to the upstream in time', false);
  if (code && TIMEOUT_CODES.has(code)) return new UpstreamTimeoutError(`upstream did not answer in time (${code})`);
  const sent = !(code && NOT_SENT_CODES.has(code));
  if (err instanceof undiciErrors.UndiciError || (code && /^E[A-Z]+/.test(code))) {
    return new UpstreamUnavailableError(`upstream unreachable (${code ?? (err as Error).name})`, sent);
  }
  return new UpstreamUnavailableError(`upstream request failed: ${(err as Error).message}`, sent);
}
