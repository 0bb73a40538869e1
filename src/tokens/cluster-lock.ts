// A cluster-wide mutex in Redis, for work that exactly one gateway instance may do at a
// time (refreshing or signing in the shared Evercycle session).
//
// - Taken with SET NX PX: it expires by itself after ttlMs, so an instance that dies while
//   holding it (SIGKILL, a lost machine) blocks the others for at most ttlMs.
// - Its holder extends it while it works (ClusterLock.extend), so a renewal slower than the
//   TTL keeps it; only a holder that stopped extending (dead, or cut off from Redis) loses it.
// - Its value is a fencing token: a counter that only grows (INCR) plus a random part. Only
//   the holder of that exact value can release it (Lua compare-and-delete) or write under it
//   (RedisTokenStore.saveFenced): an instance that held the lock past its TTL, while another
//   took it over, can neither free the newcomer's lock nor overwrite what it stored.
import { randomUUID } from 'node:crypto';
import type { Redis } from '../redis/connection.js';

export interface Lease {
  /** The lock's Redis key. */
  key: string;
  /** The fencing value: `<counter>:<random>`; the counter grows with every attempt to take the lock. */
  token: string;
  /** The counter part, for ordering leases. */
  fence: number;
}

// KEYS[1] lock, KEYS[2] fence counter, KEYS[3] (optional) a key that must exist; ARGV[1] random part, ARGV[2] ttl ms.
const ACQUIRE = `
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 0 then return 'missing' end
local fence = redis.call('INCR', KEYS[2])
local value = fence .. ':' .. ARGV[1]
if redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2]) then return value end
return false`;

// KEYS[1] lock; ARGV[1] the holder's value.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS[1] lock; ARGV[1] the holder's value, ARGV[2] new ttl ms.
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** The lock that serialises token renewals and sign-ins across instances. */
export const RENEWAL_LOCK = 'tokens:renew';

/** The Redis key of the lock called `name` under `prefix`. */
export function lockKey(prefix: string, name: string): string {
  return `${prefix}lock:${name}`;
}

export class ClusterLock {
  constructor(
    private readonly redis: Redis,
    /** Prefix of every key (EVERCYCLE_REDIS_PREFIX). */
    private readonly prefix: string,
  ) {}

  /** The Redis key of the lock called `name`. */
  key(name: string): string {
    return lockKey(this.prefix, name);
  }

  /**
   * Take the lock `name` for ttlMs: its lease, or null when another holder has it.
   * Throws when Redis cannot be reached (the caller must not assume it holds the lock).
   */
  async acquire(name: string, ttlMs: number): Promise<Lease | null> {
    const taken = await this.take(name, ttlMs);
    return taken === 'missing' ? null : taken;
  }

  /** acquire(), but only while `requiredKey` exists: 'missing' (nothing taken) when it does not. */
  acquireIfExists(name: string, ttlMs: number, requiredKey: string): Promise<Lease | null | 'missing'> {
    return this.take(name, ttlMs, requiredKey);
  }

  private async take(name: string, ttlMs: number, requiredKey?: string): Promise<Lease | null | 'missing'> {
    const key = this.key(name);
    const keys = requiredKey ? [key, `${key}:fence`, requiredKey] : [key, `${key}:fence`];
    const value = (await this.redis.eval(ACQUIRE, keys.length, ...keys, randomUUID(), String(Math.max(1, Math.round(ttlMs))))) as string | null;
    if (!value) return null;
    if (value === 'missing') return 'missing';
    return { key, token: value, fence: Number(value.slice(0, value.indexOf(':'))) };
  }

  /** Free the lock if `lease` still holds it; true when it did. Never frees another holder's lock. */
  async release(lease: Lease): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, lease.key, lease.token)) === 1;
  }

  /**
   * Give `lease` ttlMs more from now, if it still holds its lock; false when it had expired
   * (and may be another holder's by now). A live holder whose work outlasts the TTL calls
   * this periodically, so only a dead holder's lock runs out.
   */
  async extend(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, lease.key, lease.token, String(Math.max(1, Math.round(ttlMs))))) === 1;
  }

  /** Whether `lease` still holds its lock (it may have expired and been taken by another). */
  async holds(lease: Lease): Promise<boolean> {
    return (await this.redis.get(lease.key)) === lease.token;
  }

  /** Milliseconds until the lock `name` expires by itself; 0 when nobody holds it. */
  async remainingMs(name: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.key(name)));
  }
}
