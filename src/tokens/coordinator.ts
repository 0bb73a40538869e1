// What the token manager needs to share one Evercycle session between gateway instances:
// the shared token record (RedisTokenStore), a cluster-wide lock around renewals
// (ClusterLock), and news of changes made by other instances (pub/sub on a second Redis
// connection, which ioredis puts in subscriber mode and resubscribes after a reconnect).
import type { Logger } from 'pino';
import type { Redis } from '../redis/connection.js';
import { ClusterLock, type Lease } from './cluster-lock.js';
import type { RedisTokenStore, RefreshHistory, TokensChanged } from './redis-store.js';
import type { TokenSet } from './types.js';

export type { Lease, RefreshHistory };

/** `saved`/`cleared`: another instance changed the shared tokens. `reconnected`: Redis is back; what it holds may have changed meanwhile. */
export type SharedTokensEvent = 'saved' | 'cleared' | 'reconnected';

export interface TokenCoordinator {
  /** How long a renewal lock lives when its holder dies (ms). */
  readonly lockTtlMs: number;
  /** How often a waiting instance looks again when no change message arrives (ms). */
  readonly pollMs: number;
  /** Take the renewal lock: a lease, or null when another instance holds it. Throws when Redis is unreachable. */
  acquire(): Promise<Lease | null>;
  /** Free the lock (only if `lease` still holds it). Never throws. */
  release(lease: Lease): Promise<void>;
  /** The shared tokens, or null when there are none. Throws when Redis is unreachable. */
  read(): Promise<TokenSet | null>;
  /** Store tokens obtained under `lease`; false when the lease had expired (nothing written). */
  commit(tokens: TokenSet, lease: Lease): Promise<boolean>;
  /** Note that `refreshToken` goes upstream now, under `lease`; false when the lease had expired (do not send it). Throws when Redis is unreachable. */
  markPresented(refreshToken: string, lease: Lease): Promise<boolean>;
  /** Whether `refreshToken` was presented before (perhaps by an instance that died), and whether refresh tokens rotate. Throws when Redis is unreachable. */
  refreshHistory(refreshToken: string): Promise<RefreshHistory>;
  /** A refresh answer carried a new refresh token. Never throws. */
  noteRotation(): Promise<void>;
  /** Store tokens only when none are stored (Redis came back empty); true when written. */
  seed(tokens: TokenSet): Promise<boolean>;
  /** Resolves at the next change message, or after timeoutMs. */
  waitForChange(timeoutMs: number): Promise<void>;
  /** Called on every change made by another instance, and when Redis comes back. */
  onChange(listener: (event: SharedTokensEvent) => void): void;
}

export interface RedisCoordinatorOptions {
  store: RedisTokenStore;
  /** The connection for commands (shared with the store). */
  redis: Redis;
  /** A connection of its own, used only to subscribe. */
  subscriber: Redis;
  prefix: string;
  lockTtlMs: number;
  instanceId: string;
  logger: Logger;
  pollMs?: number;
}

const LOCK_NAME = 'tokens:renew';

export class RedisTokenCoordinator implements TokenCoordinator {
  readonly lockTtlMs: number;
  readonly pollMs: number;
  private readonly lock: ClusterLock;
  private readonly listeners: ((event: SharedTokensEvent) => void)[] = [];
  private waiters = new Set<() => void>();

  constructor(private readonly options: RedisCoordinatorOptions) {
    this.lockTtlMs = options.lockTtlMs;
    // Polling is only the fallback for a lost message (or a subscriber still reconnecting).
    this.pollMs = options.pollMs ?? Math.min(250, Math.max(20, Math.floor(options.lockTtlMs / 10)));
    this.lock = new ClusterLock(options.redis, options.prefix);
    const { subscriber, store, logger } = options;
    // No offline queue: subscribe once the connection is up (ioredis also resubscribes by
    // itself after a reconnect; subscribing twice to a channel is harmless).
    const subscribe = () => {
      subscriber.subscribe(store.channel).catch((err: Error) => logger.warn({ reason: err.message }, 'could not subscribe to token changes'));
    };
    let connectedOnce = subscriber.status === 'ready';
    if (connectedOnce) subscribe();
    subscriber.on('ready', () => {
      subscribe();
      if (connectedOnce) this.emit('reconnected');
      connectedOnce = true;
    });
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== store.channel) return;
      this.wake();
      let message: TokensChanged;
      try {
        message = JSON.parse(text) as TokensChanged;
      } catch {
        return;
      }
      if (message.by === options.instanceId) return;
      if (message.event === 'saved' || message.event === 'cleared') this.emit(message.event);
    });
  }

  acquire(): Promise<Lease | null> {
    return this.lock.acquire(LOCK_NAME, this.lockTtlMs);
  }

  async release(lease: Lease): Promise<void> {
    try {
      await this.lock.release(lease);
    } catch (err) {
      // It expires by itself after lockTtlMs.
      this.options.logger.warn({ reason: (err as Error).message }, 'could not release the token renewal lock; it expires by itself');
    }
  }

  read(): Promise<TokenSet | null> {
    return this.options.store.read();
  }

  commit(tokens: TokenSet, lease: Lease): Promise<boolean> {
    return this.options.store.saveFenced(tokens, lease);
  }

  markPresented(refreshToken: string, lease: Lease): Promise<boolean> {
    return this.options.store.markPresented(refreshToken, lease);
  }

  refreshHistory(refreshToken: string): Promise<RefreshHistory> {
    return this.options.store.refreshHistory(refreshToken);
  }

  async noteRotation(): Promise<void> {
    await this.options.store.noteRotation().catch((err: Error) => this.options.logger.warn({ reason: err.message }, 'could not note that refresh tokens rotate'));
  }

  seed(tokens: TokenSet): Promise<boolean> {
    return this.options.store.seed(tokens);
  }

  waitForChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
  }

  onChange(listener: (event: SharedTokensEvent) => void): void {
    this.listeners.push(listener);
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private emit(event: SharedTokensEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.options.logger.error({ reason: (err as Error).message }, 'token change listener failed');
      }
    }
  }
}
