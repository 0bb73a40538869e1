// GET /api/list: the loaded definitions, sorted by name, in the contract's shape.
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import { readOnly } from '../errors.js';

export function listRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/list', async () => ({
    status: 'success',
    apis: deps.definitions().list().map((d) => ({ name: d.name, method: d.method, path: d.path, description: d.description })),
  }));
  readOnly(app, '/api/list');
}
