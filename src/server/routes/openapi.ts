// Placeholder: replaced by the real route module.
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';

export function openapiRoutes(_app: FastifyInstance, _deps: GatewayDeps): void {}
