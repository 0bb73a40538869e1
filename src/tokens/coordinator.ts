// What the token manager needs to share one Evercycle session between gateway instances:
// the shared token record (RedisTokenStore), a cluster-wide lock around renewals
// (ClusterLock), and news of changes made by other instances (pub/sub on a second Redis
// connection, which ioredis puts in subscriber mode and resubscribes after a reconnect).
import type { Logger } from 'pino';
import type { Redis } from '../redis/connection.js';
import { ClusterLock, type Lease } from './cluster-lock.js';
import { KeyMismatchError, QUARANTINE, type RedisTokenStore, type RefreshHistory, type SeedOutcome, type TokensChanged } from './redis-store.js';
import type { TokenSet } from './types.js';

export type { Lease, RefreshHistory };

/**
 * `saved`/`cleared`: another instance changed the shared tokens. `reconnected`: Redis is
 * back with what it held; the shared tokens may have changed meanwhile. `reset`: Redis is
 * back without it (restarted without persistence): the tokens held here may be stored again.
 */
export type SharedTokensEvent = 'saved' | 'cleared' | 'reconnected' | 'reset';

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
  /** Store tokens obtained under `lease`; false when the lease had expired (nothing written). */
  commit(tokens: TokenSet, lease: Lease): Promise<boolean>;
  /** Store tokens whose lease was lost because Redis lost its state while they were being obtained (see RedisTokenCoordinator); false when that is not the case. */
  commitAfterReset(tokens: TokenSet): Promise<boolean>;
  /** Why this instance must not use or store the shared session (its at-rest key is not the others'), or null. */
  refusal(): string | null;
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
  /** Lifetime of the claim on the at-rest key (RedisTokenStore.claim), renewed every third of it. */
  keyIdTtlMs?: number;
}

const LOCK_NAME = 'tokens:renew';

export class RedisTokenCoordinator implements TokenCoordinator {
  readonly lockTtlMs: number;
  readonly pollMs: number;
  private readonly lock: ClusterLock;
  private readonly listeners: ((event: SharedTokensEvent) => void)[] = [];
  private waiters = new Set<() => void>();
  /** Heartbeats of the leases this instance holds, by lease value. */
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  /** claim() succeeded at least once: a fresh Redis seen after that is one that lost its state. */
  private claimed = false;
  private readonly keyIdTtlMs: number;
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
    // Once both connections are back after either was lost ('reconnected' or 'reset'): the
    // listener reads (and may write) through the command connection, which can come back
    // after the subscriber.
    let lost = false;
    const onUp = () => {
      if (lost && redis.status === 'ready' && subscriber.status === 'ready') {
        lost = false;
        this.claim().then(
          (fresh) => {
            if (!fresh) this.emit('reconnected');
          },
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
    this.keyIdTtlMs = options.keyIdTtlMs ?? 30_000;
    this.claimTimer = setInterval(() => this.claim().catch(() => {}), Math.max(10, Math.floor(this.keyIdTtlMs / 3)));
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

  /** Throws KeyMismatchError when this instance's at-rest key is not the others'. */
  async acquire(): Promise<Lease | null> {
    if (!this.claimed) await this.claim();
    const refusal = this.refusal();
    if (refusal) throw new KeyMismatchError(refusal);
    const lease = await this.lock.acquireIfExists(LOCK_NAME, this.lockTtlMs, this.options.store.stateKey);
    if (lease === 'missing') {
      // Redis lost its state since this instance last looked: hold renewals back first.
      await this.claim();
      return null;
    }
    if (lease) this.keepAlive(lease);
    return lease;
  }

  /**
   * Say which key this instance uses (at start, every third of keyIdTtlMs, after a
   * reconnect, and before taking the lock in a Redis that lost its state). True when it
   * found Redis without the gateways' state after having seen it: then renewals are held
   * back for one lock TTL (the lock is set to QUARANTINE, as if its holder had died) and
   * 'reset' is emitted. A renewal that was under way on some instance when the state was
   * lost (its record that the refresh token was presented is gone too) lands meanwhile and
   * stores its tokens through commitAfterReset(), which lifts the hold; nobody presents the
   * same refresh token again, unless that renewal takes longer than the lock TTL.
   */
  async claim(): Promise<boolean> {
    const { fresh } = await this.options.store.claim(this.keyIdTtlMs);
    const wasClaimed = this.claimed;
    this.claimed = true;
    if (!fresh || !wasClaimed) return false;
    await this.lock.hold(LOCK_NAME, QUARANTINE, this.lockTtlMs);
    this.options.logger.warn(
      { hold_ms: this.lockTtlMs },
      'Redis lost the shared state (restarted without persistence?): token renewals are held back while one that was under way may still land',
    );
    this.emit('reset');
    return true;
  }

  refusal(): string | null {
    return this.options.store.refusal;
  }

  async commitAfterReset(tokens: TokenSet): Promise<boolean> {
    const lockKey = this.lock.key(LOCK_NAME);
    if (await this.options.store.saveInQuarantine(tokens, lockKey)) return true;
    // The renewal may have ended before any instance noticed the reset: look now.
    return (await this.claim()) && this.options.store.saveInQuarantine(tokens, lockKey);
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
