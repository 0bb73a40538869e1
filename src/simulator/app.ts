// The simulator's Fastify app: body parsing, the error and not-found answers, call
// counting, fault injection, and the route plugins. Sign-in and refresh are public; every
// other route is registered inside a scope that puts the token guard in front of it, so
// a route added there cannot be left unguarded by mistake. The control surface
// (/_simulator/...) exists only when asked for, and is neither counted nor faulted.
import Fastify, { type FastifyInstance, type FastifyServerOptions, type onRequestHookHandler, type RouteOptions } from 'fastify';
import type { AuthService } from './auth.js';
import type { CallCounter } from './calls.js';
import { CONTROL_PREFIX, isEndpointKey } from './endpoints.js';
import { frameworkError, HttpError } from './errors.js';
import { FAULT_PLAN, FaultInjector } from './faults/injector.js';
import type { FaultRegistry } from './faults/registry.js';
import { assetRoutes } from './routes/assets.js';
import { authRoutes } from './routes/auth.js';
import { controlRoutes } from './routes/control.js';
import { createGuard, PRINCIPAL } from './routes/guard.js';
import { listRoutes } from './routes/lists.js';
import { pricebookRoutes } from './routes/pricebook.js';
import type { Store } from './store.js';
import { REDACT_PATHS } from '../logger.js';

/** Largest request body, in bytes (Fastify's default; an asset is well under 10 KiB). */
const BODY_LIMIT_BYTES = 1_048_576;
/** Log paths that may carry secrets; applied when the simulator builds its own logger. */
/** Media types such as application/vnd.api+json are JSON too. */
const JSON_SUFFIX_TYPE = /^application\/[a-z0-9!#$&^_.-]+\+json$/i;

export interface AppDeps {
  store: Store;
  auth: AuthService;
  counter: CallCounter;
  faults: FaultRegistry;
  /** Register the /_simulator/ control surface. */
  control: boolean;
  logger: boolean | object;
}

function loggerOptions(logger: boolean | object): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === false) return { logger: false };
  // The project's one redaction list (logger.ts) covers the simulator's fields too.
  if (logger === true) return { logger: { redact: REDACT_PATHS } };
  const maybeInstance = logger as { child?: unknown; info?: unknown };
  if (typeof maybeInstance.child === 'function' && typeof maybeInstance.info === 'function') {
    return { loggerInstance: logger as FastifyServerOptions['loggerInstance'] };
  }
  return { logger: { redact: REDACT_PATHS, ...(logger as Record<string, unknown>) } };
}

const toArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function buildApp({ store, auth, counter, faults, control, logger }: AppDeps): FastifyInstance {
  const app = Fastify({
    ...loggerOptions(logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Only the documented methods exist; HEAD would otherwise be added for every GET.
    exposeHeadRoutes: false,
  }) as unknown as FastifyInstance;

  app.decorateRequest(PRINCIPAL, null);
  app.decorateRequest(FAULT_PLAN, null);
  app.addContentTypeParser(JSON_SUFFIX_TYPE, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  // Count each route's calls first of all, then let the fault injector decide, both before
  // the guard can refuse the request; the injector's onSend hook goes last.
  const injector = new FaultInjector(faults, counter);
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url.startsWith(CONTROL_PREFIX)) return;
    const key = `${String(route.method)} ${route.url}`;
    if (!isEndpointKey(key)) throw new Error(`simulator route "${key}" is missing from ENDPOINT_KEYS in src/simulator/endpoints.ts`);
    const count: onRequestHookHandler = (_request, _reply, done) => {
      counter.hit(key);
      done();
    };
    route.onRequest = [count, injector.onRequest(key), ...toArray(route.onRequest)];
    route.onSend = [...toArray(route.onSend), injector.onSend(key)];
  });
  // Pending latency timers and slow bodies would otherwise hold close() open until they end.
  app.addHook('preClose', (done) => {
    injector.shutdown();
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).send(error.body);
    const e = error as { code?: string; statusCode?: number };
    const mapped = frameworkError(e.code, e.statusCode);
    if (mapped.statusCode >= 500) request.log.error({ err: error }, 'simulator request failed');
    return reply.code(mapped.statusCode).send({ message: mapped.message });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'Not Found' }));

  if (control) app.register(controlRoutes, { faults, counter, auth });
  app.register(authRoutes, { auth, lockout: faults.lockout, counter });
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
