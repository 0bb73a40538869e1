// The Fastify application: framework settings, body handling, error shape, routes.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { errorBody } from '../errors.js';
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
    // A client that stalls mid-request (a slow or abandoned upload) is answered 408.
    requestTimeout: deps.settings.clientTimeoutMs,
    genReqId: requestIdFor,
    logController: new RequestLogController(),
    // An API name longer than this is not a name.
    routerOptions: { maxParamLength: 200 },
    // Answered by our own hook below, in our error shape.
    return503OnClosing: false,
    // Errors raised before routing, in our {"status":"error","message"} shape too.
    frameworkErrors,
    clientErrorHandler,
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
  app.addHook('onSend', async (_request, reply) => {
    // Tell clients not to reuse a connection this process is about to close.
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      return reply.code(503).header('connection', 'close').header('retry-after', '1').send(errorBody('gateway is shutting down; retry'));
    }
  });

  installRequestTrace(app);
  installErrorHandlers(app);
  healthRoutes(app, deps);
  authRoutes(app, deps);
  listRoutes(app, deps);
  proxyRoutes(app, deps);
  return app;
}
