// Pure mapping of upstream call failures (no HTTP answer) to gateway errors.
import { GatewayError } from '../errors.js';
import { CircuitOpenError, ClientAbortedError, ShuttingDownError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';

/** Timeout -> 504, open circuit -> 503 + Retry-After, any other failure to get an answer -> 502. */
export function mapUpstreamError(err: unknown, what = 'Evercycle API'): Error {
  if (err instanceof GatewayError) return err;
  if (err instanceof UpstreamTimeoutError) {
    return new GatewayError(504, `${what} timed out: ${err.message}${err.sent ? '; the request may have reached Evercycle, check before sending it again' : ''}`);
  }
  if (err instanceof UpstreamUnavailableError) {
    // Tell a client deciding whether to resend a POST that it may already have arrived.
    const maybe = err.sent ? '; the request may have reached Evercycle, check before sending it again' : '; the request was not sent';
    return new GatewayError(502, `${what} unavailable: ${err.message}${maybe}`);
  }
  if (err instanceof CircuitOpenError) {
    const retryAfter = Math.max(1, err.retryAfterS);
    return new GatewayError(503, `${what} is failing; calls are paused for ${retryAfter} s`, {}, { 'retry-after': String(retryAfter) });
  }
  if (err instanceof ShuttingDownError) return new GatewayError(503, err.message, {}, { 'retry-after': '1', connection: 'close' });
  // Nobody reads this answer; 499 (nginx's "client closed request") keeps it out of the 5xx figures.
  if (err instanceof ClientAbortedError) return new GatewayError(499, err.message);
  return err instanceof Error ? err : new Error(String(err));
}
