// Failures of an upstream call that produced no usable HTTP answer.

/** The upstream did not answer in time. Maps to 504. */
export class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
  constructor(
    message: string,
    /** False for a connect timeout: nothing was sent. Otherwise the request may have arrived. */
    readonly sent = true,
  ) {
    super(message);
  }
}

/** No usable answer: refused, reset, DNS, TLS, malformed or oversized response. Maps to 502. */
export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
  constructor(
    message: string,
    /** False only when the request certainly never left (the connection was refused). */
    readonly sent = true,
  ) {
    super(message);
  }
}

/** The circuit breaker is open: the upstream was not called. Maps to 503 with Retry-After. */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
  constructor(readonly retryAfterS: number) {
    super('Evercycle API is failing; calls are paused');
  }
}

/** Our own client went away; the upstream call was abandoned. Nobody is left to answer. */
export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError';
  constructor() {
    super('client closed the connection');
  }
}

/** The gateway is shutting down and abandoned this call after the grace period. Maps to 503. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
  constructor() {
    super('gateway is shutting down; retry');
  }
}
