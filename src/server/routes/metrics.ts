// GET /metrics: Prometheus metrics (src/metrics/; requests are counted by
// ../request-metrics.ts). Who may scrape is decided in access.ts (admin, or METRICS_PUBLIC).
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import { readOnly } from '../errors.js';

export function metricsRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { registry } = deps.metrics;
  app.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  readOnly(app, '/metrics');
}
