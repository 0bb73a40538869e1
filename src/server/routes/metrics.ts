// GET /metrics: Prometheus metrics (src/metrics/; requests are counted by
// ../request-metrics.ts). Who may scrape is decided in access.ts (admin, or METRICS_PUBLIC).
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import { methodNotAllowed } from '../errors.js';

export function metricsRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { registry } = deps.metrics;
  app.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/metrics',
    handler: async () => {
      throw methodNotAllowed(['GET', 'HEAD']);
    },
  });
}
