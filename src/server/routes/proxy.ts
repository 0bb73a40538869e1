// ANY /api/:name and /api/:name/*: the proxy.
// Flow: definition -> method -> body -> upstream path -> token -> upstream -> envelope.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compileBodyValidator, MAX_BODY_ERRORS, type BodyValidator } from '../../definitions/body-schema.js';
import { resolveUpstreamPath } from '../../definitions/params.js';
import type { ApiDefinition } from '../../definitions/types.js';
import { GatewayError } from '../../errors.js';
import type { TokenSet } from '../../tokens/types.js';
import { resolveCallOptions, type CallOptions } from '../../upstream/call-options.js';
import { Cancellation } from '../../upstream/cancellation.js';
import type { UpstreamRequest, UpstreamResponse } from '../../upstream/client.js';
import { mapUpstreamError } from '../../upstream/error-map.js';
import { mapUpstreamResponse, successEnvelope } from '../../upstream/response-map.js';
import { VERSION } from '../../version.js';
import { isJsonContentType, readJsonBody } from '../body.js';
import type { GatewayDeps } from '../deps.js';
import { methodNotAllowed } from '../errors.js';
import type { ProxyTrace } from '../request-log.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Upstream response headers worth passing on; everything else (Set-Cookie included) stays behind. */
const PASSED_RESPONSE_HEADERS = ['retry-after', 'link', 'x-total-count'] as const;
const USER_AGENT = `evercycle-gateway/${VERSION}`;
/** What Fastify sets for an object it serialises: the same for an envelope built from bytes. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function proxyRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  // Timeouts and retry policy per definition, worked out once per definition object.
  const callOptions = new WeakMap<ApiDefinition, CallOptions>();
  const optionsFor = (def: ApiDefinition): CallOptions => {
    let options = callOptions.get(def);
    if (!options) callOptions.set(def, (options = resolveCallOptions(deps.settings, def)));
    return options;
  };
  // Body schemas compiled once per definition, on first use.
  const validators = new WeakMap<ApiDefinition, BodyValidator>();
  const validatorFor = (def: ApiDefinition): BodyValidator | undefined => {
    if (!def.body) return undefined;
    let validate = validators.get(def);
    if (!validate) validators.set(def, (validate = compileBodyValidator(def.body)));
    return validate;
  };
  const handler = (request: FastifyRequest, reply: FastifyReply) => proxy(request, reply, deps, optionsFor, validatorFor);
  app.all('/api/:name', handler);
  app.all('/api/:name/*', handler);
}

async function proxy(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: GatewayDeps,
  optionsFor: (def: ApiDefinition) => CallOptions,
  validatorFor: (def: ApiDefinition) => BodyValidator | undefined,
): Promise<FastifyReply> {
  const { name } = request.params as { name: string };
  const def = deps.definitions().get(name);
  const trace: ProxyTrace = { api: def?.name, upstreamMs: 0, upstreamCalls: 0, retries: 0 };
  request.trace = trace;
  if (!def) throw new GatewayError(404, `API '${name}' not found; GET /api/list shows the available APIs`);

  const method = upstreamMethod(def, request.method);
  const hasBody = METHODS_WITH_BODY.has(method);
  const body = hasBody ? readJsonBody(request.body, request.headers['content-type'], { maxDepth: deps.settings.maxJsonDepth }) : { raw: undefined, value: undefined };
  // Checked before anything goes upstream (the path parameters a body may carry included).
  const validate = hasBody ? validatorFor(def) : undefined;
  if (validate) {
    const errors = validate(body.value);
    if (errors.length > 0) {
      const shown = errors.length > MAX_BODY_ERRORS ? ` (the first ${MAX_BODY_ERRORS} of ${errors.length} problems are listed)` : '';
      throw new GatewayError(400, `request body does not match the schema of ${def.name}${shown}`, { errors: errors.slice(0, MAX_BODY_ERRORS) });
    }
  }

  const { segments, rawQuery } = splitRawUrl(request.raw.url ?? request.url);
  const resolved = resolveUpstreamPath(def, { segments, rawQuery, body: body.value });
  if (!resolved.ok) throw new GatewayError(400, resolved.message, resolved.param ? { param: resolved.param } : {});

  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': USER_AGENT,
    'x-request-id': request.id,
  };
  if (body.raw) {
    const contentType = request.headers['content-type'];
    headers['content-type'] = contentType && isJsonContentType(contentType) ? contentType : 'application/json';
  }
  // When our client goes away, the upstream call (and any retry wait) is abandoned.
  const clientGone = new Cancellation();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) clientGone.abort();
  });
  const { timeouts, retry } = optionsFor(def);
  const upstreamRequest: UpstreamRequest = {
    method,
    path: resolved.forwardQuery ? `${resolved.path}?${resolved.forwardQuery}` : resolved.path,
    headers,
    body: body.raw,
    cancellation: clientGone,
    operation: def.name,
    timeouts,
    retry,
  };

  // One request object for the call and its replay: only the token headers change, set
  // when nothing upstream holds the previous ones any more.
  const send = async (tokens: TokenSet | null): Promise<UpstreamResponse> => {
    if (tokens) {
      headers.authorization = tokens.idToken;
      headers['access-token'] = tokens.accessToken;
    }
    const started = performance.now();
    try {
      const res = await deps.upstream.request(upstreamRequest);
      trace.upstreamCalls += res.attempts;
      trace.retries += res.attempts - 1;
      return res;
    } catch (err) {
      trace.upstreamCalls += 1;
      throw mapUpstreamError(err);
    } finally {
      trace.upstreamMs += performance.now() - started;
    }
  };

  let tokens = def.auth ? await deps.tokens.getValid() : null;
  let res = await send(tokens);
  if (res.status === 401 && tokens) {
    // A token we believed valid was refused (revoked, clock skew): renew once, replay once.
    request.log.info({ api: def.name }, 'upstream refused the token; renewing and replaying once');
    tokens = await deps.tokens.afterRejection(tokens);
    res = await send(tokens);
  }

  for (const header of PASSED_RESPONSE_HEADERS) {
    const value = res.headers[header];
    if (typeof value === 'string') reply.header(header, value);
  }
  const contentType = res.headers['content-type'] as string | undefined;
  const envelope = successEnvelope(res.status, res.body, contentType);
  if (envelope) return reply.code(envelope.statusCode).type(JSON_CONTENT_TYPE).send(envelope.bytes);
  const retryAfter = res.headers['retry-after'];
  const mapped = mapUpstreamResponse(res.status, res.body, contentType, typeof retryAfter === 'string' ? retryAfter : undefined);
  return reply.code(mapped.statusCode).send(mapped.payload);
}

/** The upstream method for a client method, or 405. HEAD on a GET API is answered like GET. */
function upstreamMethod(def: ApiDefinition, method: string): string {
  if (method === def.method) return method;
  if (method === 'HEAD' && def.method === 'GET') return 'GET';
  throw methodNotAllowed(def.method === 'GET' ? ['GET', 'HEAD'] : [def.method]);
}

/**
 * Positional segments after /api/<name>, still percent-encoded, and the raw query.
 * Read from the raw URL because the router has already decoded its params, and a
 * decoded %2F would turn one value into two segments.
 */
export function splitRawUrl(target: string): { segments: string[]; rawQuery: string } {
  // A fragment is never part of a request; one that arrives anyway must not reach the upstream URL.
  if (target.includes('#')) throw new GatewayError(400, 'the request URL must not contain a fragment (#); percent-encode it as %23');
  // Absolute-form targets (`GET http://host/api/...`, as sent to proxies) carry the origin first.
  const url = target.startsWith('/') ? target : target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '');
  const q = url.indexOf('?');
  const pathPart = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  // ['', 'api', '<name>', ...segments]
  const segments = pathPart.split('/').slice(3);
  // One trailing slash is not a segment of its own: /api/get-all/ is /api/get-all.
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return { segments, rawQuery };
}
