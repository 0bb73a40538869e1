// The Fastify application: framework settings, body handling, error shape, routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayDeps } from './deps.js';
import { clientErrorHandler, frameworkErrors, installErrorHandlers } from './errors.js';
import { requestIdFor } from './request-id.js';
import { installRequestTrace, RequestLogController } from './request-log.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import { listRoutes } from './routes/list.js';
import { proxyRoutes } from './routes/proxy.js';

export function buildApp(deps: GatewayDeps, logger: Logger): FastifyInstance {
  const app = Fastify({
    // Typed as Fastify's base logger so route plugins see a plain FastifyInstance.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: deps.settings.bodyLimitBytes,
    genReqId: requestIdFor,
    logController: new RequestLogController(),
    // An API name longer than this is not a name.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Errors raised before routing, in our {"status":"error","message"} shape too.
    frameworkErrors,
    clientErrorHandler,
  });

  // Bodies stay raw bytes: forwarded exactly as received, parsed as JSON where needed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  installRequestTrace(app);
  installErrorHandlers(app);
  healthRoutes(app, deps);
  authRoutes(app, deps);
  listRoutes(app, deps);
  proxyRoutes(app, deps);
  return app;
}
