// Every answered request counted in the Prometheus metrics, with bounded labels.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DefinitionSet } from '../definitions/types.js';
import { methodLabel, statusLabel, UNKNOWN } from '../metrics/labels.js';
import type { GatewayMetrics } from '../metrics/registry.js';

/**
 * Count every request the gateway answers, and those whose client went away first (499).
 * Installed on the root instance, so unknown paths and unusual methods (the not-found
 * handler) count too, as `unknown`. URLs the router cannot decode (frameworkErrors) are
 * answered outside every hook and are not counted.
 */
export function countRequests(app: FastifyInstance, metrics: GatewayMetrics, definitions: () => DefinitionSet): void {
  // An abort and a late end of the answer could both be seen: count a request once.
  const counted = new WeakSet<FastifyRequest>();
  const replies = new WeakMap<FastifyRequest, FastifyReply>();
  const count = (request: FastifyRequest, status: number, elapsedMs: number): void => {
    if (counted.has(request)) return;
    counted.add(request);
    metrics.httpRequest({ api: apiLabel(request, definitions), method: methodLabel(request.method), status: statusLabel(status) }, elapsedMs / 1000);
  };

  // Kept for onRequestAbort, which gets no reply: its elapsedTime measures from the same start.
  app.addHook('onRequest', async (request, reply) => {
    replies.set(request, reply);
  });
  app.addHook('onResponse', async (request, reply) => {
    count(request, reply.statusCode, reply.elapsedTime);
  });
  app.addHook('onRequestAbort', async (request) => {
    count(request, 499, replies.get(request)?.elapsedTime ?? 0);
  });
}

/**
 * The `api` label: the definition's name for proxied calls, the route for the gateway's
 * own (`/health`, `/api/auth`), `unknown` otherwise. Never a string the client chose.
 */
function apiLabel(request: FastifyRequest, definitions: () => DefinitionSet): string {
  const route = request.routeOptions.url;
  if (route === '/api/:name' || route === '/api/:name/*') {
    // The proxy names the definition it used; a request refused before the handler ran
    // (no key, rate limit) is looked up the same way.
    if (request.trace) return request.trace.api ?? UNKNOWN;
    const { name } = request.params as { name?: string };
    return (name !== undefined && definitions().get(name)?.name) || UNKNOWN;
  }
  return route ?? UNKNOWN;
}
