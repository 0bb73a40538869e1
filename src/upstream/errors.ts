// Failures of an upstream call that produced no usable HTTP answer.

/** The upstream did not answer in time. Maps to 504. */
export class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
}

/** No usable answer: refused, reset, DNS, TLS, malformed or oversized response. Maps to 502. */
export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
}
