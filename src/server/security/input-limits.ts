// Limits on the request target, checked in the first hooks, before any route reads the
// request: a target longer than MAX_URL_LENGTH answers 414, more than MAX_QUERY_PARAMS
// query parameters 400, an HTTP/1.1 request without exactly one Host header 400 (RFC 9112
// section 3.2; checked here instead of by Node, whose answer is not JSON).
// The other input limits live where the input is read: body size is Fastify's bodyLimit
// (413), JSON depth, duplicate and prototype keys are body.ts (400), malformed query
// encoding and path values are definitions/params.ts (400), and header size is Node's
// maxHeaderSize (431, answered by errors.ts's clientErrorHandler).
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';

const AMPERSAND = 0x26;
const HASH = 0x23;

export interface TargetLimits {
  maxUrlLength: number;
  maxQueryParams: number;
}

export function installInputLimits(app: FastifyInstance, limits: TargetLimits): void {
  // Callback style, like the other per-request hooks: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.raw.httpVersion === '1.1' && hostHeaders(request.raw.rawHeaders) !== 1) {
      return done(new GatewayError(400, 'an HTTP/1.1 request must carry exactly one Host header'));
    }
    const target = request.raw.url ?? '';
    if (target.length > limits.maxUrlLength) {
      return done(new GatewayError(414, `request URL is longer than ${limits.maxUrlLength} bytes`));
    }
    const q = target.indexOf('?');
    if (q !== -1 && countQueryParams(target, q + 1) > limits.maxQueryParams) {
      return done(new GatewayError(400, `too many query parameters (more than ${limits.maxQueryParams})`));
    }
    done();
  });
}

/** How many Host headers a request carries (rawHeaders alternates names and values). */
function hostHeaders(rawHeaders: string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'host') count++;
  return count;
}

/**
 * Query parameters in `target` from index `start`: the non-empty `&`-separated parts
 * (`a=1&&b` is two; a repeated key counts each time). One pass, no allocation.
 */
export function countQueryParams(target: string, start = 0): number {
  let count = 0;
  let partLength = 0;
  for (let i = start; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === HASH) break;
    if (c === AMPERSAND) {
      if (partLength > 0) count++;
      partLength = 0;
    } else {
      partLength++;
    }
  }
  return count + (partLength > 0 ? 1 : 0);
}
