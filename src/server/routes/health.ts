// GET /health: liveness plus a summary an operator can read; always 200 while the process
// serves. GET /ready: whether this instance can serve calls now, for load balancers (503
// while the upstream circuit is open, or while a configured service account cannot sign
// in, or while the Redis that shares the session between instances is unreachable and no
// usable token is held, or holds a token record this instance cannot read).
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
      ...(deps.sharedTokensProblem?.() && { shared_tokens: 'unreadable' }),
      ...(deps.instancesWithOtherKeys?.() && { instances_with_other_key: deps.instancesWithOtherKeys() }),
    };
  });

  app.get('/ready', async (_request, reply) => {
    const session = deps.tokens.status();
    if (session.signinBlocked && !session.authenticated) {
      // The service account is rejected and no valid token is held: every call would be refused.
      return reply.code(503).send({ status: 'error', message: 'the configured Evercycle service account cannot sign in', circuit: deps.breaker.state });
    }
    const redisDown = deps.redis?.() === 'down';
    if (redisDown && !session.usable) {
      // No token to serve with, and none can be had without Redis (the renewal is cluster-wide).
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ status: 'error', message: 'Redis is unreachable and no usable Evercycle token is held: calls cannot be served', redis: 'down', circuit: deps.breaker.state });
    }
    const unreadable = deps.sharedTokensProblem?.();
    if (unreadable) {
      // A configuration error: this instance cannot share the session the others store.
      return reply.code(503).send({ status: 'error', message: unreadable, circuit: deps.breaker.state });
    }
    const retryAfterS = deps.breaker.retryAfterS();
    if (deps.breaker.state === 'open') {
      return reply
        .code(503)
        .header('retry-after', String(Math.max(1, retryAfterS)))
        .send({ status: 'error', message: 'Evercycle API is failing; calls are paused', circuit: 'open', retry_after_s: retryAfterS });
    }
    // Redis down with a usable token: still ready. Every instance is in the same position,
    // so taking them all out of the load balancer would turn a Redis outage into a total one.
    if (redisDown) return { status: 'ok', message: 'ready; Redis is unreachable: serving with the held token until it expires', circuit: deps.breaker.state, redis: 'down' };
    return { status: 'ok', message: 'ready', circuit: deps.breaker.state };
  });

  readOnly(app, '/health', '/ready');
}
