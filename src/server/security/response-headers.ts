// Headers every answer carries, whoever produced it (a route, the error or not-found
// handler, the rate limiter, a CORS preflight): set in onSend, the last step before a
// reply is written. The two answers written outside that path add them themselves:
// frameworkErrors (a URL the router cannot decode) and clientErrorHandler (a request the
// HTTP parser refuses), both in errors.ts.
import type { FastifyInstance } from 'fastify';

/** On every answer. Answers are JSON: a browser must never sniff one into HTML or script. */
export const HARDENING_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'x-content-type-options': 'nosniff' });

/** Under /api/ as well: proxied data, and errors about it, are per-caller and may be personal; no cache may store them. */
const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...HARDENING_HEADERS, 'cache-control': 'no-store' });

/** Whether a request target is under /api (origin-form or absolute-form). */
export function isApiTarget(target: string): boolean {
  const path = target.startsWith('/') ? target : target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  return /^\/api(?:[/?#]|$)/.test(path);
}

/** The hardening headers for an answer to `target` (the raw request target). */
export function securityHeaders(target: string): Readonly<Record<string, string>> {
  return isApiTarget(target) ? API_HEADERS : HARDENING_HEADERS;
}

export function installResponseHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(securityHeaders(request.raw.url ?? ''));
    done(null, payload);
  });
}
