// Client authentication and authorization for every request (rules: src/access/roles.ts).
//
// Two steps, both before the body is read:
//  - onRequest: the presented key is looked up and the client put on `request.client`.
//    Nothing is refused yet, so hooks that run after it (the per-route rate limiter)
//    see who is calling, and count refused requests too: guessing keys is rate limited.
//  - preParsing: the request is refused (401 without a valid key, 403 when the role or
//    the key's API list does not allow the target) before any body byte is buffered.
// Without a keys file nothing is installed: every request is allowed, as before.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessClient } from '../access/keys.js';
import { presentedKey } from '../access/keys.js';
import { isLoopbackHost } from '../access/exposure.js';
import { authorize, type AccessTarget } from '../access/roles.js';
import { GatewayError } from '../errors.js';
import type { GatewayDeps } from './deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client whose API key this request carries; null without one (or without keys configured). */
    client: AccessClient | null;
    /** A key was presented but matches none (or is ambiguous). */
    keyRejected: boolean;
  }
}

export const KEY_REQUIRED_MESSAGE = 'API key required: send Authorization: Bearer <key> or X-API-Key: <key>';

/** The authenticated client's name, for logs and the rate-limit key; undefined without one. */
export function clientNameOf(request: FastifyRequest): string | undefined {
  return request.client?.name;
}

export const LOOPBACK_ONLY_MESSAGE = 'this gateway has no API keys configured (API_KEYS_FILE): only clients on this machine may call it';
export const INVALID_KEY_MESSAGE = 'invalid API key';

export function installAccessControl(app: FastifyInstance, deps: GatewayDeps): void {
  app.decorateRequest('client', null);
  app.decorateRequest('keyRejected', false);
  const keys = deps.keys;
  if (!keys) {
    if (deps.settings.insecureNoAuth) return;
    // No keys: loopback clients only, judged on the client's address as resolved through
    // TRUST_PROXY, so a reverse proxy on this machine does not make remote callers local.
    app.addHook('onRequest', (request, _reply, done) => {
      done(targetOf(request, deps).kind !== 'open' && !isLoopbackHost(request.ip) ? new GatewayError(403, LOOPBACK_ONLY_MESSAGE) : undefined);
    });
    return;
  }

  app.addHook('onRequest', (request, _reply, done) => {
    // Two Authorization headers are ambiguous (Node would silently keep the first): no key.
    const key = countHeader(request.raw.rawHeaders, 'authorization') > 1 ? '' : presentedKey(request.headers);
    request.client = key ? (keys.find(key) ?? null) : null;
    if (key !== null && !request.client) request.keyRejected = true;
    done();
  });

  app.addHook('preParsing', async (request, _reply, payload) => {
    const target = targetOf(request, deps);
    if (target.kind === 'open') return payload;
    if (!request.client) {
      throw new GatewayError(401, request.keyRejected ? INVALID_KEY_MESSAGE : KEY_REQUIRED_MESSAGE, {}, { 'www-authenticate': 'Bearer' });
    }
    const decision = authorize(request.client, target);
    if (!decision.allowed) throw new GatewayError(403, decision.message);
    return payload;
  });
}

/**
 * What a request targets, from the route it matched. A route this table does not know
 * needs the admin role (fail closed: a new route must be placed here deliberately);
 * no route at all (the 404 answer) is open to any authenticated client.
 */
function targetOf(request: FastifyRequest, deps: GatewayDeps): AccessTarget {
  const route = request.routeOptions.url;
  switch (route) {
    case '/health':
    case '/ready':
      return { kind: 'open' };
    case '/metrics':
      return deps.settings.metricsPublic ? { kind: 'open' } : { kind: 'admin', route };
    // The status page, the API reference and the interactive docs show API names and
    // gateway health only: whoever may list the APIs may read them.
    case '/':
    case '/openapi.json':
    case '/docs':
    case '/docs/':
    case '/docs/*':
      return deps.settings.docsPublic ? { kind: 'open' } : { kind: 'list' };
    case '/api/auth':
      return { kind: 'admin', route };
    case '/api/list':
      return { kind: 'list' };
    case '/api/:name':
    case '/api/:name/*': {
      const name = (request.params as { name?: string }).name ?? '';
      return { kind: 'api', name, method: deps.definitions().get(name)?.method };
    }
    case undefined:
    case '*': // @fastify/cors's OPTIONS route for preflights
      return { kind: 'other' };
    default:
      return { kind: 'admin', route };
  }
}

function countHeader(rawHeaders: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) n++;
  return n;
}
