// What the token manager needs to share one Evercycle session between gateway instances:
// the shared token record (RedisTokenStore), a cluster-wide lock around renewals
// (ClusterLock), and news of changes made by other instances (pub/sub on a second Redis
// connection, which ioredis puts in subscriber mode and resubscribes after a reconnect).
import type { Logger } from 'pino';
import type { Redis } from '../redis/connection.js';
import { ClusterLock, RENEWAL_LOCK, type Lease } from './cluster-lock.js';
import type { RedisTokenStore, RefreshHistory, SeedOutcome, TokensChanged } from './redis-store.js';
import type { TokenSet } from './types.js';

export type { Lease, RefreshHistory };

/**
 * `saved`/`cleared`: another instance changed the shared tokens. `reconnected`: Redis is
 * back (perhaps without what it held: restarted without persistence); the shared tokens
 * may have changed meanwhile, or be gone.
 */
export type SharedTokensEvent = 'saved' | 'cleared' | 'reconnected';

export interface TokenCoordinator {
  /** How long a renewal lock lives when its holder dies (ms). */
  readonly lockTtlMs: number;
  /** How often a waiting instance looks again when no change message arrives (ms). */
  readonly pollMs: number;
  /**
   * Take the renewal lock: a lease, or null when another instance holds it. Throws when
   * Redis is unreachable. The lease is kept alive (extended every third of its TTL) until
   * release(), so a renewal slower than the TTL keeps it while its holder lives.
   */
  acquire(): Promise<Lease | null>;
  /** Free the lock (only if `lease` still holds it) and stop extending it. Never throws. */
  release(lease: Lease): Promise<void>;
  /** The shared tokens, or null when there are none. Throws when Redis is unreachable. */
  read(): Promise<TokenSet | null>;
  /** Store tokens obtained under `lease`: when Redis stored them (its clock, ms), or null when the lease had expired (nothing written). */
  commit(tokens: TokenSet, lease: Lease): Promise<number | null>;
  /** Store tokens whose lease was lost because Redis lost the tokens while they were being obtained (see RedisTokenStore.seed); null when that is not the case. */
  commitAfterReset(tokens: TokenSet): Promise<number | null>;
  /** Whether the session was signed out and nothing stored since. Throws when Redis is unreachable. */
  signedOut(): Promise<boolean>;
  /** Note that `refreshToken` goes upstream now, under `lease`; false when the lease had expired (do not send it). Throws when Redis is unreachable. */
  markPresented(refreshToken: string, lease: Lease): Promise<boolean>;
  /** Whether `refreshToken` was presented before (perhaps by an instance that died), and whether refresh tokens rotate. Throws when Redis is unreachable. */
  refreshHistory(refreshToken: string): Promise<RefreshHistory>;
  /** A refresh answer carried a new refresh token. Never throws. */
  noteRotation(): Promise<void>;
  /** Store tokens only when none are stored and the session was not signed out meanwhile (after an outage). */
  seed(tokens: TokenSet): Promise<SeedOutcome>;
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
  /** How often this instance notes its at-rest key and checks Redis's state (RedisTokenStore.claim). */
  claimEveryMs?: number;
}

export class RedisTokenCoordinator implements TokenCoordinator {
  readonly lockTtlMs: number;
  readonly pollMs: number;
  private readonly lock: ClusterLock;
  private readonly listeners: ((event: SharedTokensEvent) => void)[] = [];
  private waiters = new Set<() => void>();
  /** Heartbeats of the leases this instance holds, by lease value. */
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  private readonly claimEveryMs: number;
  private readonly claimTimer: NodeJS.Timeout;

  constructor(private readonly options: RedisCoordinatorOptions) {
    this.lockTtlMs = options.lockTtlMs;
    // Polling is only the fallback for a lost message (or a subscriber still reconnecting).
    this.pollMs = options.pollMs ?? Math.min(250, Math.max(20, Math.floor(options.lockTtlMs / 10)));
    this.lock = new ClusterLock(options.redis, options.prefix);
    const { redis, subscriber, store, logger } = options;
    // No offline queue: subscribe once the connection is up (ioredis also resubscribes by
    // itself after a reconnect; subscribing twice to a channel is harmless).
    const subscribe = () => {
      subscriber.subscribe(store.channel).catch((err: Error) => logger.warn({ reason: err.message }, 'could not subscribe to token changes'));
    };
    if (subscriber.status === 'ready') subscribe();
    subscriber.on('ready', subscribe);
    // Once both connections are back after either was lost: the
    // listener reads (and may write) through the command connection, which can come back
    // after the subscriber.
    let lost = false;
    const onUp = () => {
      if (lost && redis.status === 'ready' && subscriber.status === 'ready') {
        lost = false;
        this.claim().then(
          () => this.emit('reconnected'),
          (err: Error) => logger.warn({ reason: err.message }, 'could not check the shared state after reconnecting to Redis'),
        );
      }
    };
    for (const client of [redis, subscriber]) {
      client.on('close', () => {
        lost = true;
      });
      client.on('ready', onUp);
    }
    this.claimEveryMs = options.claimEveryMs ?? 10_000;
    this.claimTimer = setInterval(() => this.claim().catch(() => {}), this.claimEveryMs);
    this.claimTimer.unref();
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

  async acquire(): Promise<Lease | null> {
    const lease = await this.lock.acquireIfExists(RENEWAL_LOCK, this.lockTtlMs, this.options.store.stateKey);
    if (lease === 'missing') {
      // Redis lost its state since this instance last looked: mark it, and let the tokens
      // held here be stored again (which holds renewals back for a lock TTL) before anyone renews.
      await this.claim();
      this.emit('reconnected');
      return null;
    }
    if (lease) this.keepAlive(lease);
    return lease;
  }

  /** Note this instance's at-rest key and mark Redis's state (at start, periodically, after a reconnect). */
  async claim(): Promise<void> {
    await this.options.store.claim(3 * this.claimEveryMs);
  }

  async commitAfterReset(tokens: TokenSet): Promise<number | null> {
    return this.options.store.saveInQuarantine(tokens);
  }

  signedOut(): Promise<boolean> {
    return this.options.store.signedOut();
  }

  /** Stop the periodic claim (shutdown). */
  close(): void {
    clearInterval(this.claimTimer);
  }

  async release(lease: Lease): Promise<void> {
    clearInterval(this.heartbeats.get(lease.token));
    this.heartbeats.delete(lease.token);
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

  commit(tokens: TokenSet, lease: Lease): Promise<number | null> {
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

  seed(tokens: TokenSet): Promise<SeedOutcome> {
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

  /**
   * Extend `lease` every third of the TTL until released. A failed extension (Redis down)
   * is tried again at the next beat; one that finds the lock gone stops: the lease is lost,
   * and its fenced writes will say so.
   */
  private keepAlive(lease: Lease): void {
    const everyMs = Math.max(10, Math.floor(this.lockTtlMs / 3));
    const timer = setInterval(() => {
      this.lock.extend(lease, this.lockTtlMs).then(
        (held) => {
          if (held || !this.heartbeats.has(lease.token)) return;
          clearInterval(timer);
          this.heartbeats.delete(lease.token);
          this.options.logger.warn({ lock_ttl_ms: this.lockTtlMs }, 'the token renewal lock expired while held (Redis unreachable for longer than its TTL?)');
        },
        () => {},
      );
    }, everyMs);
    timer.unref();
    this.heartbeats.set(lease.token, timer);
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
