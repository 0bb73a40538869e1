// GET /: the status page (src/server/status-page.ts renders it). Always rendered fresh: it
// shows live state, so no cache may keep it.
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.js';
import type { GatewayDeps } from '../deps.js';
import { readOnly } from '../errors.js';
import { renderStatusPage, STATUS_PAGE_CSP } from '../status-page.js';

export function statusRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/', async (_request, reply) => {
    const token = deps.tokens.status();
    const html = renderStatusPage({
      version: VERSION,
      upstream: deps.upstreamLabel,
      circuit: deps.breaker.state,
      authenticated: token.authenticated,
      tokenExpiresInS: token.expiresInS,
      signinBlocked: token.signinBlocked,
      redis: deps.redis?.(),
      apis: deps.definitions().list(),
      definitions: deps.definitionsStatus?.(),
      now: new Date().toISOString(),
    });
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', STATUS_PAGE_CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  });
  readOnly(app, '/');
}
