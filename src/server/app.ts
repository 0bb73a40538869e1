// The Fastify application: framework settings, body handling, error shape, routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { errorBody } from '../errors.js';
import { installAccessControl } from './access.js';
import type { GatewayDeps } from './deps.js';
import { clientErrorHandler, frameworkErrors, installErrorHandlers } from './errors.js';
import { requestIdFor } from './request-id.js';
import { installRequestTrace, RequestLogController } from './request-log.js';
import { countRequests } from './request-metrics.js';
import { authRoutes } from './routes/auth.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { listRoutes } from './routes/list.js';
import { metricsRoutes } from './routes/metrics.js';
import { openapiRoutes } from './routes/openapi.js';
import { proxyRoutes } from './routes/proxy.js';
import { statusRoutes } from './routes/status.js';
import { installCors } from './security/cors.js';
import { installInputLimits } from './security/input-limits.js';
import { installRateLimit } from './security/rate-limit.js';
import { installResponseHeaders } from './security/response-headers.js';
import { trustProxyOption } from './security/trust-proxy.js';

export function buildApp(deps: GatewayDeps, logger: Logger): FastifyInstance {
  const app = Fastify({
    // Typed as Fastify's base logger so route plugins see a plain FastifyInstance.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: deps.settings.bodyLimitBytes,
    // A client that stalls mid-request (a slow or abandoned upload) is answered 408.
    requestTimeout: deps.settings.clientTimeoutMs,
    genReqId: requestIdFor,
    logController: new RequestLogController(logger),
    // An API name longer than this is not a name.
    routerOptions: { maxParamLength: 200 },
    // Answered by our own hook below, in our error shape.
    return503OnClosing: false,
    // Errors raised before routing, in our {"status":"error","message"} shape too.
    frameworkErrors,
    clientErrorHandler: (err, socket) => clientErrorHandler(err, socket, deps.settings.maxUrlLength),
    // Whose X-Forwarded-For is believed for request.ip (rate limits, the request log).
    trustProxy: trustProxyOption(deps.settings.trustProxy),
    // Node's limit on the request head, request line included: over it, 431 (or 414).
    // A missing Host is refused by our own hook (input-limits.ts): Node's answer is not JSON.
    // Stalled requests (CLIENT_TIMEOUT_MS) are looked for every second, not Node's default 30 s.
    http: { maxHeaderSize: deps.settings.maxHeaderBytes, requireHostHeader: false, connectionsCheckingInterval: 1000 },
  });

  // Bodies stay raw bytes: forwarded exactly as received, parsed as JSON where needed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // Once shutdown starts, requests arriving on kept-alive connections are turned away
  // (with Connection: close) while the ones in flight finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // The per-request hooks here and in the modules below use Fastify's callback style: an
  // async hook costs a promise and a microtask turn on every request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    // Tell clients not to reuse a connection this process is about to close.
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.code(503).header('connection', 'close').header('retry-after', '1').send(errorBody('gateway is shutting down; retry'));
      return;
    }
    done();
  });

  installRequestTrace(app);
  countRequests(app, deps.metrics, deps.definitions);
  const notFoundLimiter = installRateLimit(app, deps.settings, deps.rateLimitRedis);
  installErrorHandlers(app, { notFoundPreHandler: notFoundLimiter });
  installAccessControl(app, deps);
  installInputLimits(app, deps.settings);
  installResponseHeaders(app);
  installCors(app, deps.settings.corsOrigins);
  // The routes are declared in a plugin of their own, so they are added after the plugins
  // above have loaded: @fastify/rate-limit attaches its hook to each route as it is declared.
  void app.register(async (routes) => {
    healthRoutes(routes, deps);
    authRoutes(routes, deps);
    listRoutes(routes, deps);
    proxyRoutes(routes, deps);
    statusRoutes(routes, deps);
    openapiRoutes(routes, deps);
    docsRoutes(routes, deps);
    metricsRoutes(routes, deps);
  });
  return app;
}
