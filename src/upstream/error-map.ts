// Pure mapping of upstream call failures (no HTTP answer) to gateway errors.
import { GatewayError } from '../errors.js';
import { UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';

/** Timeout -> 504, any other failure to get an answer -> 502. Other errors pass through. */
export function mapUpstreamError(err: unknown, what = 'Evercycle API'): Error {
  if (err instanceof GatewayError) return err;
  if (err instanceof UpstreamTimeoutError) return new GatewayError(504, `${what} timed out: ${err.message}`);
  if (err instanceof UpstreamUnavailableError) return new GatewayError(502, `${what} unavailable: ${err.message}`);
  return err instanceof Error ? err : new Error(String(err));
}
