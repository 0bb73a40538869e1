// GET /api/list: the loaded definitions, sorted by name, in the contract's shape.
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import { methodNotAllowed } from '../errors.js';

export function listRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/list', async () => ({
    status: 'success',
    apis: deps.definitions().list().map((d) => ({ name: d.name, method: d.method, path: d.path, description: d.description })),
  }));
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/api/list',
    handler: async () => {
      throw methodNotAllowed(['GET', 'HEAD']);
    },
  });
}
