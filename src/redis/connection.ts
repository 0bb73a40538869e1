// The one way the gateway connects to Redis (EVERCYCLE_REDIS_URL). Commands fail at once
// while the connection is down (no offline queue: a call must not hang behind a dead Redis),
// and the client reconnects by itself, forever, with a capped back-off.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { percentDecode } from '../definitions/params.js';

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
    // A connection that is open but answers nothing (a stalled network path) fails each
    // command after this long rather than holding the call (or the shutdown) forever.
    commandTimeout: 2000,
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
  const secrets = urlSecrets(url);
  redis.on('error', (err: Error) => {
    if (state !== 'down') {
      const reason = masked(err.message, secrets);
      // Refused credentials or database: a configuration error, not an outage; it persists until fixed.
      const refused = /^(WRONGPASS|NOAUTH|NOPERM|ERR (invalid password|DB index|invalid DB|AUTH))/i.test(err.message);
      logger.error(
        { redis: role, reason },
        refused
          ? 'Redis refused the connection: check the password, user and database number in EVERCYCLE_REDIS_URL; retrying'
          : `Redis unreachable${whenDown ? `: ${whenDown}` : ''}; reconnecting`,
      );
    }
    state = 'down';
  });
  return redis;
}

/** The password in a Redis URL, as written and decoded, for masking: connection errors may quote it. */
function urlSecrets(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const { password } = new URL(url);
  // A malformed %-escape is masked as written.
  return [...new Set([password, percentDecode(password) ?? password])].filter((s) => s.length > 0);
}

function masked(message: string, secrets: string[]): string {
  let out = message;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

/** Whether the client can run commands now. */
export function isRedisReady(redis: Redis): boolean {
  return redis.status === 'ready';
}
