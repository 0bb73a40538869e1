// Per-client rate limiting with @fastify/rate-limit: RATE_LIMIT_MAX requests per
// RATE_LIMIT_WINDOW_MS for each client, counted in this process's memory, or in Redis when
// EVERCYCLE_REDIS_URL is set (the library's Redis store, keys under EVERCYCLE_REDIS_PREFIX
// + "rate-limit:"), so every gateway process sharing that Redis shares one budget. A client is its
// API key's name when the request carries a valid key (src/server/access.ts puts it on
// request.client in an earlier onRequest hook), else its address (request.ip, which
// follows TRUST_PROXY). /health and /ready are never limited: load balancers and
// monitors poll them. Over the limit: 429 in our error shape with Retry-After and the
// x-ratelimit-* headers (which every limited answer carries).
//
// Redis down: requests are served unlimited (fail open, the library's skipOnError) rather
// than failed: the limiter protects the upstream from abuse, it must not become the outage.
// One line when the limits stop being enforced, one when they are again; the client
// reconnects by itself (src/redis/connection.ts).
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError } from '../../errors.js';
import type { Redis } from '../../redis/connection.js';

export interface RateLimitSettings {
  /** Requests per window and client; 0 disables rate limiting. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  redisPrefix: string;
}

/** Routes that are never limited (matched on the route, so /health?x=1 is exempt too). */
const EXEMPT_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready']);

/** A request's bucket. The prefixes keep a key named "127.0.0.1" apart from that address. */
export function rateLimitKey(request: FastifyRequest): string {
  const name = request.client?.name;
  return typeof name === 'string' ? `key:${name}` : `ip:${normalizeIP(request.ip)}`;
}

export type NotFoundLimiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Register the limiter; it attaches itself to every route declared after it has loaded
 * (buildApp declares its routes in a later plugin). Returns a preHandler for the
 * not-found handler, which no route covers, or undefined when rate limiting is off.
 */
export function installRateLimit(app: FastifyInstance, settings: RateLimitSettings, redis?: Redis): NotFoundLimiter | undefined {
  if (settings.rateLimitMax === 0) {
    redis?.disconnect();
    return undefined;
  }
  if (redis) watchCounters(app, redis);
  void app.register(rateLimit, {
    ...(redis && { redis, nameSpace: `${settings.redisPrefix}rate-limit:`, skipOnError: true }),
    global: true,
    max: settings.rateLimitMax,
    timeWindow: settings.rateLimitWindowMs,
    keyGenerator: rateLimitKey,
    allowList: (request) => EXEMPT_ROUTES.has(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) =>
      new GatewayError(context.statusCode, `rate limit exceeded: at most ${context.max} requests per ${windowText(settings.rateLimitWindowMs)}; retry in ${context.after}`),
  });
  // The plugin's decorator exists once it has loaded; made on first use, it shares the
  // routes' store, so a 404 counts against the same budget.
  let limiter: ReturnType<FastifyInstance['rateLimit']> | undefined;
  return async (request, reply) => {
    limiter ??= app.rateLimit();
    await limiter.call(app, request, reply);
  };
}

/** The Redis connection the counters live in (the app's own, made with RATE_LIMIT_REDIS_ROLE): logged when it comes back, closed with the app. */
function watchCounters(app: FastifyInstance, redis: Redis): void {
  // app.log is the pino logger the gateway was built with (buildApp's loggerInstance).
  const logger = app.log as unknown as Logger;
  let down = false;
  redis.on('error', () => {
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: 'rate-limit' }, 'rate limits enforced again (Redis is back)');
    down = false;
  });
  app.addHook('onClose', async () => {
    // quit() waits for replies in flight; a client that is not connected has none.
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  });
}

/** How the gateway makes the counters' connection (createRedis options). */
export const RATE_LIMIT_REDIS_ROLE = { role: 'rate-limit', whenDown: 'rate limits are NOT enforced (requests are served without a limit)' } as const;

function windowText(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
  if (ms % 1000 === 0) return ms === 1000 ? 'second' : `${ms / 1000} seconds`;
  return `${ms} ms`;
}
