// Wiring: settings -> definitions, token store, upstream client, token manager, app.
// Starts the built-in simulator when no upstream is configured.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { prepareAccess } from './access/startup.js';
import type { Settings } from './config.js';
import { LiveDefinitions, type ReloadResult } from './definitions/live.js';
import { loadDefinitions } from './definitions/load.js';
import { GatewayMetrics } from './metrics/registry.js';
import type { Redis } from './redis/connection.js';
import { buildApp } from './server/app.js';
import { RATE_LIMIT_REDIS_ROLE } from './server/security/rate-limit.js';
import { createSimulator, type Simulator } from './simulator/index.js';
import { FileTokenStore } from './tokens/file-store.js';
import { RedisTokenCoordinator } from './tokens/coordinator.js';
import { TokenManager } from './tokens/manager.js';
import { RedisTokenStore } from './tokens/redis-store.js';
import type { TokenStore } from './tokens/types.js';
import { UpstreamAuthApi } from './upstream/auth-api.js';
import { UpstreamBreaker } from './upstream/breaker.js';
import { resolveCallOptions } from './upstream/call-options.js';
import { UpstreamClient } from './upstream/client.js';
import { VERSION } from './version.js';

export interface GatewayOptions {
  logger: Logger;
  /** Clock in ms for token validity (tests move it forward). */
  now?: () => number;
  /** Replace the file token store (tests, other stores). */
  store?: TokenStore;
}

export interface Gateway {
  app: FastifyInstance;
  tokens: TokenManager;
  /** The in-process simulator, when EVERCYCLE_BASE_URL is unset. */
  simulator: Simulator | undefined;
  /**
   * Load the definitions folder again (SIGHUP); applied only when the whole folder is valid,
   * otherwise the previous set stays live and the problems are logged and returned.
   */
  reloadDefinitions(trigger?: string): Promise<ReloadResult>;
  /** Listen on settings.host:settings.port (or the given port); resolves the gateway's URL. */
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

export async function createGateway(settings: Settings, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  // Definitions first: a malformed file must stop the start before anything listens.
  const initial = await loadDefinitions(settings.apisDir);
  // Then the client keys, and whether HOST may be served with them (or without any).
  const keys = await prepareAccess(settings, logger, initial);
  const metrics: GatewayMetrics = new GatewayMetrics({
    version: VERSION,
    upstream: settings.baseUrl ? new URL(settings.baseUrl).origin : 'simulator',
    // Read at scrape time, once the breaker and the token manager below exist.
    tokenExpiresInS: () => tokens.status().expiresInS,
    circuitState: () => breaker.state,
    redisUp: settings.redisUrl && !options.store ? () => redisStatus?.() === 'up' : undefined,
  });
  const definitions = new LiveDefinitions({ dir: settings.apisDir, initial, logger, onReload: (result) => metrics.definitionsReloaded(result) });

  let simulator: Simulator | undefined;
  let baseUrl: string;
  if (settings.baseUrl) {
    baseUrl = settings.baseUrl;
  } else {
    simulator = createSimulator({ tokenTtlS: settings.simulatorTokenTtlS, logger: false });
    baseUrl = await simulator.listen({ port: 0, host: '127.0.0.1' });
    logger.warn(
      { simulator: baseUrl, demo_user: simulator.demo.username },
      'EVERCYCLE_BASE_URL is not set: using the BUILT-IN EVERCYCLE SIMULATOR, not the real Evercycle API',
    );
  }

  const breaker = new UpstreamBreaker({ failures: settings.breakerFailures, openMs: settings.breakerOpenMs, onOpen: () => metrics.circuitOpened() });
  const upstream = new UpstreamClient({ baseUrl, breaker, logger, observer: metrics.upstreamObserver });
  let store = options.store;
  // EVERCYCLE_REDIS_URL: the session is shared with every instance using that Redis.
  const redisClients: Redis[] = [];
  let coordinator: RedisTokenCoordinator | undefined;
  let redisStatus: (() => 'up' | 'down') | undefined;
  let sharedTokensProblem: (() => string | null) | undefined;
  let instancesWithOtherKeys: (() => number) | undefined;
  // ioredis is loaded only when used (it weighs ~20 MB of memory).
  const redisModule = settings.redisUrl ? await import('./redis/connection.js') : undefined;
  if (!store && settings.redisUrl && redisModule) {
    const { createRedis, isRedisReady } = redisModule;
    const redis = createRedis({ url: settings.redisUrl, logger, role: 'tokens', whenDown: 'tokens held in memory keep serving until they expire, none can be renewed' });
    const subscriber = createRedis({ url: settings.redisUrl, logger, role: 'subscriber', whenDown: 'token changes are picked up once it is back' });
    redisClients.push(redis, subscriber);
    // Best effort, so the shared tokens are loaded before serving; a Redis down at start is
    // no reason not to start (calls answer 503 until it is back).
    await Promise.all([untilReady(redis, 2000), untilReady(subscriber, 2000)]);
    const instanceId = randomUUID();
    const redisStore = new RedisTokenStore({ redis, prefix: settings.redisPrefix, logger, upstream: baseUrl, key: settings.secretKey, instanceId, holdMs: settings.redisLockTtlMs });
    coordinator = new RedisTokenCoordinator({ store: redisStore, redis, subscriber, prefix: settings.redisPrefix, lockTtlMs: settings.redisLockTtlMs, instanceId, logger });
    // Which at-rest key this instance uses, before anything is read (retried periodically when Redis is down now).
    await coordinator.claim().catch((err: Error) => logger.warn({ reason: err.message }, 'Redis unreachable at start: the shared session is joined once it is back'));
    store = redisStore;
    redisStatus = () => (isRedisReady(redis) && isRedisReady(subscriber) ? 'up' : 'down');
    sharedTokensProblem = () => redisStore.problem;
    instancesWithOtherKeys = () => redisStore.instancesWithOtherKeys;
    if (!settings.secretKey) {
      logger.warn('EVERCYCLE_REDIS_URL without EVERCYCLE_SECRET_KEY: the Evercycle tokens are stored in Redis unencrypted; set the same key on every instance');
    }
  }
  if (!store) {
    const fileStore = new FileTokenStore({ dir: settings.dataDir, logger, upstream: baseUrl, key: settings.secretKey });
    await fileStore.prepare();
    store = fileStore;
  }
  const tokens = new TokenManager({
    store,
    auth: new UpstreamAuthApi({
      client: upstream,
      signinPath: settings.signinPath,
      refreshPath: settings.refreshPath,
      call: resolveCallOptions(settings),
    }),
    logger,
    skewS: settings.tokenSkewS,
    credentials: settings.username && settings.password ? { username: settings.username, password: settings.password } : undefined,
    signinBackoffMs: settings.signinBackoffMs,
    signinBackoffMaxMs: settings.signinBackoffMaxMs,
    refreshCooldownMs: settings.refreshCooldownMs,
    signinMaxFailures: settings.signinMaxFailures,
    refreshAheadS: settings.refreshAheadS,
    now: options.now,
    observer: metrics.tokenObserver,
    coordinator,
  });
  await tokens.init();

  const app = buildApp(
    {
      settings,
      definitions: definitions.current,
      definitionsStatus: () => definitions.status(),
      tokens,
      upstream,
      breaker,
      upstreamLabel: simulator ? 'simulator' : baseUrl,
      keys,
      metrics,
      redis: redisStatus,
      sharedTokensProblem,
      instancesWithOtherKeys,
      rateLimitRedis: redisModule && settings.rateLimitMax > 0 ? redisModule.createRedis({ url: settings.redisUrl!, logger, ...RATE_LIMIT_REDIS_ROLE }) : undefined,
    },
    logger,
  );

  let warmUp: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  return {
    app,
    tokens,
    simulator,
    reloadDefinitions: (trigger = 'request') => definitions.reload(trigger),
    async listen(port = settings.port) {
      await app.listen({ port, host: settings.host });
      if (settings.definitionsWatch) definitions.watch();
      warmUp = tokens.warmUp();
      const address = app.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
      return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${actualPort}`;
    },
    close() {
      closing ??= (async () => {
        tokens.beginShutdown();
        // app.close() waits for requests in flight; a client holding a connection open
        // without a request (a preconnect, a port probe) would hold it forever.
        const force = setTimeout(() => {
          // Calls still waiting on the upstream are answered 503 (shutting down), then
          // whatever connections remain are closed.
          void upstream.destroy();
          setTimeout(() => app.server.closeAllConnections(), 250).unref();
        }, settings.shutdownGraceMs);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
        await definitions.close();
        await warmUp;
        await tokens.stop();
        coordinator?.close();
        for (const client of redisClients) client.disconnect();
        await upstream.close();
        await simulator?.close();
      })();
      return closing;
    },
  };
}

/** Resolves when `redis` is ready, or after timeoutMs (whichever first). */
function untilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
  });
}
