// The simulator's Fastify app: body parsing, the error and not-found answers, call
// counting, and the route plugins. Sign-in and refresh are public; every other route is
// registered inside a scope that puts the token guard in front of it, so a route added
// there cannot be left unguarded by mistake.
import Fastify, { type FastifyInstance, type FastifyServerOptions, type onRequestHookHandler, type RouteOptions } from 'fastify';
import type { AuthService } from './auth.js';
import type { CallCounter } from './calls.js';
import { frameworkError, HttpError } from './errors.js';
import { assetRoutes } from './routes/assets.js';
import { authRoutes } from './routes/auth.js';
import { createGuard, PRINCIPAL } from './routes/guard.js';
import { listRoutes } from './routes/lists.js';
import { pricebookRoutes } from './routes/pricebook.js';
import type { Store } from './store.js';

/** Largest request body, in bytes (Fastify's default; an asset is well under 10 KiB). */
const BODY_LIMIT_BYTES = 1_048_576;
/** Log paths that may carry secrets; applied when the simulator builds its own logger. */
const REDACT_PATHS = ['req.headers.authorization', 'req.headers["access-token"]', 'req.body.password', 'req.body.refresh_token'];
/** Media types such as application/vnd.api+json are JSON too. */
const JSON_SUFFIX_TYPE = /^application\/[a-z0-9!#$&^_.-]+\+json$/i;

export interface AppDeps {
  store: Store;
  auth: AuthService;
  counter: CallCounter;
  logger: boolean | object;
}

function loggerOptions(logger: boolean | object): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === false) return { logger: false };
  if (logger === true) return { logger: { redact: REDACT_PATHS } };
  const maybeInstance = logger as { child?: unknown; info?: unknown };
  if (typeof maybeInstance.child === 'function' && typeof maybeInstance.info === 'function') {
    return { loggerInstance: logger as FastifyServerOptions['loggerInstance'] };
  }
  return { logger: { redact: REDACT_PATHS, ...(logger as Record<string, unknown>) } };
}

const toArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function buildApp({ store, auth, counter, logger }: AppDeps): FastifyInstance {
  const app = Fastify({
    ...loggerOptions(logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Only the documented methods exist; HEAD would otherwise be added for every GET.
    exposeHeadRoutes: false,
  }) as unknown as FastifyInstance;

  app.decorateRequest(PRINCIPAL, null);
  app.addContentTypeParser(JSON_SUFFIX_TYPE, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  // Count each route's calls first of all, before the guard can refuse the request.
  app.addHook('onRoute', (route: RouteOptions) => {
    const key = `${String(route.method)} ${route.url}`;
    const count: onRequestHookHandler = (_request, _reply, done) => {
      counter.hit(key);
      done();
    };
    route.onRequest = [count, ...toArray(route.onRequest)];
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).send(error.body);
    const e = error as { code?: string; statusCode?: number };
    const mapped = frameworkError(e.code, e.statusCode);
    if (mapped.statusCode >= 500) request.log.error({ err: error }, 'simulator request failed');
    return reply.code(mapped.statusCode).send({ message: mapped.message });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'Not Found' }));

  app.register(authRoutes, { auth });
  app.register((api, _opts, done) => {
    const guard = createGuard(auth);
    api.addHook('onRoute', (route: RouteOptions) => {
      route.onRequest = [...toArray(route.onRequest), guard];
    });
    api.register(assetRoutes, { store });
    api.register(pricebookRoutes, { store });
    api.register(listRoutes, { store });
    done();
  });

  return app;
}
