// GET /health: liveness plus a summary an operator can read; always 200 while the process
// serves. GET /ready: whether this instance can serve calls now, for load balancers (503
// while the upstream circuit is open, or while a configured service account cannot sign
// in, or while the Redis that shares the session between instances is unreachable).
// Neither reveals a secret.
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.js';
import type { GatewayDeps } from '../deps.js';
import { readOnly } from '../errors.js';

export function healthRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/health', async () => {
    const token = deps.tokens.status();
    const circuit = deps.breaker.state;
    return {
      status: circuit === 'open' ? 'degraded' : 'ok',
      message: 'Evercycle API Server is running',
      version: VERSION,
      upstream: deps.upstreamLabel,
      circuit,
      authenticated: token.authenticated,
      token_expires_in_s: token.expiresInS,
      apis: deps.definitions().list().length,
      ...(deps.redis && { redis: deps.redis() }),
    };
  });

  app.get('/ready', async (_request, reply) => {
    const session = deps.tokens.status();
    if (session.signinBlocked && !session.authenticated) {
      // The service account is rejected and no valid token is held: every call would be refused.
      return reply.code(503).send({ status: 'error', message: 'the configured Evercycle service account cannot sign in', circuit: deps.breaker.state });
    }
    if (deps.redis?.() === 'down') {
      // Tokens held in memory keep serving, but no renewal can be coordinated: send new traffic elsewhere.
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ status: 'error', message: 'Redis is unreachable: the shared Evercycle session cannot be renewed', redis: 'down', circuit: deps.breaker.state });
    }
    const retryAfterS = deps.breaker.retryAfterS();
    if (deps.breaker.state === 'open') {
      return reply
        .code(503)
        .header('retry-after', String(Math.max(1, retryAfterS)))
        .send({ status: 'error', message: 'Evercycle API is failing; calls are paused', circuit: 'open', retry_after_s: retryAfterS });
    }
    return { status: 'ok', message: 'ready', circuit: deps.breaker.state };
  });

  readOnly(app, '/health', '/ready');
}
