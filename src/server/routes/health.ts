// GET /health: liveness plus a summary an operator can read. Never a secret.
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../../version.js';
import type { GatewayDeps } from '../deps.js';
import { methodNotAllowed } from '../errors.js';

export function healthRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/health', async () => {
    const token = deps.tokens.status();
    return {
      status: 'ok',
      message: 'Evercycle API Server is running',
      version: VERSION,
      upstream: deps.upstreamLabel,
      authenticated: token.authenticated,
      token_expires_in_s: token.expiresInS,
      apis: deps.definitions().list().length,
    };
  });
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/health',
    handler: async () => {
      throw methodNotAllowed(['GET', 'HEAD']);
    },
  });
}
