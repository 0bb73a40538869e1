// CORS, off unless CORS_ORIGINS lists browser origins. With a list, @fastify/cors answers
// preflights (OPTIONS with Origin and Access-Control-Request-Method) from those origins
// and adds Access-Control-Allow-Origin to their other answers. A request from any other
// origin gets no CORS header at all and goes on as if CORS were off (an OPTIONS to an API
// answers 405 as before), so the browser refuses to hand the answer to that page.
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Methods a browser may use (the definitions' methods and HEAD). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Response headers scripts may read: request ids, pagination, retry and rate-limit state. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'link', 'x-total-count', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/** The comma list as exact origins (checked for shape when settings load). */
export function corsOriginList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}

export function installCors(app: FastifyInstance, corsOrigins: string | undefined): void {
  const allowed = new Set(corsOriginList(corsOrigins));
  if (allowed.size === 0) return;
  void app.register(cors, {
    // Exact matches only; `false` leaves the request without any CORS header.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: METHODS,
    // Keys travel in headers (Authorization, X-API-Key), never cookies.
    credentials: false,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
    // An OPTIONS from an allowed origin is answered as a preflight even without
    // Access-Control-Request-Method, instead of a text/plain 400.
    strictPreflight: false,
  });
}
