// Every answered request counted in the Prometheus metrics, with bounded labels.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DefinitionSet } from '../definitions/types.js';
import { methodLabel, statusLabel, UNKNOWN } from '../metrics/labels.js';
import type { GatewayMetrics } from '../metrics/registry.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Counted in the metrics already (an abort and a late answer are one request). */
    counted: boolean;
  }
}

/**
 * Count every request the gateway answers, and those whose client went away first (499).
 * Installed on the root instance, so unknown paths and unusual methods (the not-found
 * handler) count too, as `unknown`. URLs the router cannot decode (frameworkErrors) are
 * answered outside every hook and are not counted.
 */
export function countRequests(app: FastifyInstance, metrics: GatewayMetrics, definitions: () => DefinitionSet): void {
  // An abort and a late end of the answer could both be seen: count a request once.
  app.decorateRequest('counted', false);
  const count = (request: FastifyRequest, status: number, elapsedMs: number): void => {
    if (request.counted) return;
    request.counted = true;
    metrics.httpRequest({ api: apiLabel(request, definitions), method: methodLabel(request.method), status: statusLabel(status) }, elapsedMs / 1000);
  };

  app.addHook('onResponse', (request, reply, done) => {
    count(request, reply.statusCode, reply.elapsedTime);
    done();
  });
  // No reply here: timed from when the request arrived (request-log.ts records it).
  app.addHook('onRequestAbort', async (request) => {
    count(request, 499, request.receivedAt ? performance.now() - request.receivedAt : 0);
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
