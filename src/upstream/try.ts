// One upstream try as an undici dispatch handler: the request goes out on the pool, the
// answer's chunks are collected as they arrive, and the try settles once, with the whole
// body or an error. Written against undici's handler API rather than `pool.request()`:
// no response stream, no async iterator and no AbortSignal per try, which on the hot path
// cost more than the proxying itself.
//
// Deadlines are this module's own timers (headers, then body), because undici's
// headersTimeout starts only once the request is written: a request still waiting for a
// connection to a black-holed upstream (nodejs/undici#386) would otherwise outlive its
// deadline. A try that settles before undici started it is aborted when it starts.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cancellation } from './cancellation.js';
import { ClientAbortedError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';

export interface TryRequest {
  method: string;
  /** Full path on the upstream (base path prefix included), with the query. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
  headersMs: number;
  bodyMs: number;
  /** Largest body accepted, in bytes (before decoding). */
  maxBytes: number;
  /** Cancelled when our client goes away: the try is abandoned. */
  cancellation?: Cancellation | undefined;
}

export interface TryAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (still content-encoded). */
  raw: Buffer;
}

/** Run one try on `dispatcher`. Rejects with the errors of errors.ts, or undici's own error for the caller to classify. */
export function dispatchTry(dispatcher: Dispatcher, req: TryRequest): Promise<TryAnswer> {
  return new Promise((resolve, reject) => {
    const handler = new TryHandler(req, resolve, reject);
    if (handler.settled) return;
    dispatcher.dispatch(
      { method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers, body: req.body, headersTimeout: req.headersMs, bodyTimeout: req.bodyMs },
      handler,
    );
  });
}

class TryHandler implements Dispatcher.DispatchHandler {
  settled = false;
  private controller: Dispatcher.DispatchController | null = null;
  private failure: Error | null = null;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private timer: NodeJS.Timeout;
  private offClientGone: (() => void) | undefined;

  constructor(
    private readonly req: TryRequest,
    private readonly resolve: (answer: TryAnswer) => void,
    private readonly reject: (err: Error) => void,
  ) {
    // Counted from now: waiting for a connection and connecting are part of it. A try whose
    // request undici never began to write (no onRequestStart yet) was not sent.
    this.timer = setTimeout(() => {
      const sent = this.controller !== null;
      this.fail(new UpstreamTimeoutError(sent ? `no response headers within ${req.headersMs} ms` : `no connection to the upstream within ${req.headersMs} ms`, sent));
    }, req.headersMs);
    this.offClientGone = req.cancellation?.onAbort(() => this.fail(new ClientAbortedError()));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Settled while waiting for a connection: the request must not go out after all.
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.settled || statusCode < 200) return; // 1xx: the real answer follows
    this.status = statusCode;
    this.headers = headers;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(new UpstreamTimeoutError(`response body not complete within ${this.req.bodyMs} ms`)), this.req.bodyMs);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.req.maxBytes) {
      this.fail(new UpstreamUnavailableError(`upstream response larger than ${this.req.maxBytes} bytes`));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.finish();
    const { chunks, size } = this;
    this.resolve({ status: this.status, headers: this.headers, raw: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  /** Settle with `err` (once) and stop the request where it is. */
  private fail(err: Error): void {
    if (this.settled) return;
    this.failure = err;
    this.finish();
    this.reject(err);
    const controller = this.controller;
    if (controller && !controller.aborted) controller.abort(err);
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.offClientGone?.();
  }
}
