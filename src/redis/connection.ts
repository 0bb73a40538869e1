// The one way the gateway connects to Redis (EVERCYCLE_REDIS_URL). Commands fail at once
// while the connection is down (no offline queue: a call must not hang behind a dead Redis),
// and the client reconnects by itself, forever, with a capped back-off.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type { Redis };

export interface RedisOptions {
  url: string;
  logger: Logger;
  /** Shown in logs and as the Redis CLIENT name: "tokens", "rate-limit", "subscriber"... */
  role: string;
  /** What the outage means for this connection's users, for the log line (default: nothing more). */
  whenDown?: string;
}

export function createRedis({ url, logger, role, whenDown }: RedisOptions): Redis {
  const redis = new Redis(url, {
    connectionName: `evercycle-gateway:${role}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect after 100 ms, 200 ms, ... at most every 2 s.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: false,
  });
  // ioredis reports every failed reconnect; one line per change of state is enough.
  let state: 'up' | 'down' | null = null;
  redis.on('ready', () => {
    if (state !== 'up') logger.info({ redis: role }, 'connected to Redis');
    state = 'up';
  });
  redis.on('error', (err: Error) => {
    if (state !== 'down') logger.error({ redis: role, err: err.message }, `Redis unreachable${whenDown ? `: ${whenDown}` : ''}; reconnecting`);
    state = 'down';
  });
  return redis;
}

/** Whether the client can run commands now. */
export function isRedisReady(redis: Redis): boolean {
  return redis.status === 'ready';
}
