// Tokens in Redis, shared by every gateway instance that uses the same EVERCYCLE_REDIS_URL,
// EVERCYCLE_REDIS_PREFIX and EVERCYCLE_SECRET_KEY: a hash `<prefix>session:<key id>:tokens`
// holding the record in the token file's format (JSON that records the upstream, the
// tokens sealed with AES-256-GCM when EVERCYCLE_SECRET_KEY is set) and when Redis stored it.
// The key id is a hash of the at-rest key ("none" without one): instances with another
// key keep a session of their own and cannot read, replace or downgrade this one. Every
// save and clear is announced on `<prefix>session:<key id>:changed`, so the other
// instances pick the new tokens up at once (coordinator.ts).
//
// Like the file, the record is ignored for another upstream: tokens never travel to another
// server. load() never throws (the TokenStore contract); read() does, so the coordinator can
// tell "no tokens" from "Redis is down".
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Redis } from '../redis/connection.js';
import { lockKey, RENEWAL_LOCK, type Lease } from './cluster-lock.js';
import { open as unseal, seal, TokenDecryptError } from './crypto.js';
import type { TokenSet, TokenStore } from './types.js';

const FORMAT_VERSION = 1;

const tokensSchema = z.object({
  accessToken: z.string().min(1),
  idToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.number().int(),
  obtainedAt: z.number().int(),
});

const recordSchema = z.union([
  z.object({
    version: z.literal(FORMAT_VERSION),
    upstream: z.string(),
    sealed: z.object({ alg: z.literal('aes-256-gcm'), iv: z.string(), tag: z.string(), data: z.string() }),
  }),
  tokensSchema.extend({ version: z.literal(FORMAT_VERSION), upstream: z.string() }),
]);

/** What is published on the change channel. */
export interface TokensChanged {
  event: 'saved' | 'cleared';
  /** The instance that made the change (its own messages are ignored by it). */
  by: string;
}

// Every write of the record stamps it with Redis's own clock (ms), so instances whose clocks
// disagree still agree on which record is newer; and deletes the signed-out marker.
const STAMP = `
local t = redis.call('TIME')
local at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'at', at)
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return at`;

// KEYS[1] tokens, KEYS[2] signed-out marker, KEYS[3] lock; ARGV[1] record, ARGV[2] channel, ARGV[3] message, ARGV[4] lease value.
const SAVE_FENCED = `
if redis.call('GET', KEYS[3]) ~= ARGV[4] then return 0 end
${STAMP}`;

// KEYS[1] tokens, KEYS[2] signed-out marker; ARGV[1] record, ARGV[2] channel, ARGV[3] message.
const SAVE = STAMP;

// KEYS[1] tokens, KEYS[2] signed-out marker, KEYS[3] lock; ARGV[1] record, ARGV[2] channel, ARGV[3] message, ARGV[4] QUARANTINE.
const SAVE_IN_QUARANTINE = `
if redis.call('GET', KEYS[3]) ~= ARGV[4] then return 0 end
redis.call('DEL', KEYS[3])
${STAMP}`;

// KEYS[1] tokens, KEYS[2] signed-out marker, KEYS[3] lock; ARGV[1] record, ARGV[2] channel,
// ARGV[3] message, ARGV[4] QUARANTINE, ARGV[5] hold ms. Seeding means Redis lost the tokens:
// a renewal under way somewhere may be presenting this very refresh token, and the record
// that says so is gone too. Renewals are held back (the lock set to QUARANTINE, unless
// someone holds it) long enough for that renewal to land (saveInQuarantine).
const SEED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'present' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'signed-out' end
redis.call('SET', KEYS[3], ARGV[4], 'NX', 'PX', ARGV[5])
${STAMP.replace('return at', "return 'seeded'")}`;

// KEYS[1] presented, KEYS[2] lock; ARGV[1] fingerprint, ARGV[2] lease value.
const MARK_PRESENTED = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

// KEYS[1] state marker, KEYS[2] key ids seen (hash: id -> ms); ARGV[1] this instance's key id, ARGV[2] window ms.
// Sets the marker (it exists as long as Redis keeps what the gateways stored) and returns
// how many other key ids were seen within the window.
const CLAIM = `
redis.call('SET', KEYS[1], '1', 'NX')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[2], ARGV[1], now)
local others = 0
local seen = redis.call('HGETALL', KEYS[2])
for i = 1, #seen, 2 do
  local age = now - tonumber(seen[i + 1])
  if age > 86400000 then redis.call('HDEL', KEYS[2], seen[i])
  elseif seen[i] ~= ARGV[1] and age <= tonumber(ARGV[2]) then others = others + 1 end
end
return others`;

/** What seed() found: it stored the tokens, or tokens are there already, or the session was signed out. */
export type SeedOutcome = 'seeded' | 'present' | 'signed-out';

/** The lock's value while renewals are held back after Redis lost the tokens (see seed()). */
const QUARANTINE = 'quarantine';

/** What is known about presenting a refresh token (see RedisTokenStore.markPresented). */
export interface RefreshHistory {
  /** An instance presented this refresh token under the lock; its answer may never have been stored. */
  presented: boolean;
  /** A refresh answer has carried a new refresh token: this upstream retires the ones it receives. */
  rotates: boolean;
}

export interface RedisTokenStoreOptions {
  redis: Redis;
  /** EVERCYCLE_REDIS_PREFIX. */
  prefix: string;
  logger: Logger;
  /** The upstream base URL the tokens belong to. */
  upstream: string;
  /** 32-byte AES key: tokens are encrypted at rest when set. */
  key?: Buffer | undefined;
  /** This instance's id, carried in change messages. */
  instanceId: string;
  /** How long renewals are held back after Redis lost the tokens (the lock's TTL). */
  holdMs: number;
}

/** Tokens as read from Redis: stamped with when Redis stored them (its clock, ms). */
export type SharedTokenSet = TokenSet & { storedAt: number };

export class RedisTokenStore implements TokenStore {
  /** The record's key: one per at-rest key (see the header). */
  readonly key: string;
  readonly channel: string;
  /** Exists as long as Redis keeps what the gateways stored (see claim()). */
  readonly stateKey: string;
  private readonly presentedKey: string;
  private readonly rotatesKey: string;
  /** Set by clear(), deleted by every store: the session was signed out (see seed()). */
  private readonly signedOutKey: string;
  private readonly keyIdsKey: string;
  private readonly lockKey: string;
  /** Identifies the at-rest key without revealing it: a hash of a derivation, or "none". */
  private readonly keyId: string;
  private readonly logger: Logger;
  /** Writes run one after another, so the record ends with the last one asked for. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Why the last record read could not be used (altered, most likely); null once one was, or this instance wrote its own. */
  private unreadable: string | null = null;
  private otherKeys = 0;

  constructor(private readonly options: RedisTokenStoreOptions) {
    this.keyId = options.key ? createHash('sha256').update('evercycle-gateway key id\0').update(options.key).digest('hex').slice(0, 24) : 'none';
    // Instances with another at-rest key keep their session apart: they can neither read
    // nor replace this one (nor store it unencrypted). The lock stays shared.
    const session = `${options.prefix}session:${this.keyId}:`;
    this.key = `${session}tokens`;
    this.channel = `${session}changed`;
    this.presentedKey = `${session}presented`;
    this.rotatesKey = `${session}rotates`;
    this.signedOutKey = `${session}signed-out`;
    this.stateKey = `${options.prefix}state`;
    this.keyIdsKey = `${options.prefix}key-ids`;
    this.lockKey = lockKey(options.prefix, RENEWAL_LOCK);
    this.logger = options.logger;
  }

  /**
   * Note this instance's at-rest key (its id), mark that Redis holds the gateways' state
   * (acquiring the lock checks the mark), and learn whether instances with another key
   * share this Redis (logged: they do not share the session with this one). Call at start,
   * after a reconnect, and periodically. Throws when Redis is unreachable.
   */
  async claim(windowMs: number): Promise<void> {
    const others = (await this.options.redis.eval(CLAIM, 2, this.stateKey, this.keyIdsKey, this.keyId, String(windowMs))) as number;
    if (others > 0 && this.otherKeys === 0) {
      this.logger.error(
        { other_keys: others },
        'gateway instances with another EVERCYCLE_SECRET_KEY (or none) share this Redis: they keep an Evercycle session of their own, not shared with this one; give every instance the same key',
      );
    }
    this.otherKeys = others;
  }

  /** Why the last record read could not be used (altered, or written by a gateway that does not follow this format), or null. */
  get problem(): string | null {
    return this.unreadable;
  }

  /** How many instances with another at-rest key (each keeps a session of its own) were seen at the last claim(). */
  get instancesWithOtherKeys(): number {
    return this.otherKeys;
  }

  /** The stored tokens, or null when there are none (or unusable ones). Throws when Redis cannot be reached. */
  async read(): Promise<SharedTokenSet | null> {
    const [text, at] = await this.options.redis.hmget(this.key, 'record', 'at');
    this.unreadable = null;
    if (!text || !at) return null;
    const { key, upstream } = this.options;
    try {
      const parsed = recordSchema.parse(JSON.parse(text));
      if (parsed.upstream !== upstream) {
        this.logger.warn({ redis_key: this.key }, 'tokens in Redis belong to another Evercycle upstream; ignored');
        return null;
      }
      let tokens: TokenSet;
      if ('sealed' in parsed) {
        if (!key) return this.refuse('tokens in Redis are encrypted but EVERCYCLE_SECRET_KEY is not set here');
        tokens = tokensSchema.parse(JSON.parse(unseal(parsed.sealed, key)));
      } else {
        if (key) return this.refuse('tokens in Redis are stored unencrypted, but EVERCYCLE_SECRET_KEY is set here');
        const { version: _version, upstream: _upstream, ...plain } = parsed;
        tokens = plain;
      }
      return { ...tokens, storedAt: Number(at) };
    } catch (err) {
      if (err instanceof TokenDecryptError) return this.refuse('tokens in Redis cannot be decrypted with EVERCYCLE_SECRET_KEY (altered?)');
      // Never log the content: it may hold half a token.
      this.logger.warn({ redis_key: this.key }, 'tokens in Redis are corrupt; ignored');
      return null;
    }
  }

  private refuse(reason: string): null {
    if (this.unreadable !== reason) this.logger.error({ redis_key: this.key }, `${reason}; ignored`);
    this.unreadable = reason;
    return null;
  }

  async load(): Promise<TokenSet | null> {
    try {
      return await this.read();
    } catch (err) {
      this.logger.warn({ reason: (err as Error).message }, 'Redis unreachable: cannot load the shared tokens; starting without them');
      return null;
    }
  }

  async save(tokens: TokenSet): Promise<void> {
    await this.write(SAVE, tokens, this.lockKey);
  }

  /**
   * Store `tokens` only while `lease` still holds its lock (checked and written atomically):
   * when Redis stored them (its clock, ms), or null when the lock expired and may belong to
   * another instance by now.
   */
  async saveFenced(tokens: TokenSet, lease: Lease): Promise<number | null> {
    const at = Number(await this.write(SAVE_FENCED, tokens, lease.key, lease.token));
    return at === 0 ? null : at;
  }

  /**
   * Store `tokens` while renewals are held back after Redis lost the tokens (the lock holds
   * QUARANTINE), and lift the hold: the renewal that was under way then has landed, and the
   * instances waiting take its tokens. Null when there is no such hold.
   */
  async saveInQuarantine(tokens: TokenSet): Promise<number | null> {
    const at = Number(await this.write(SAVE_IN_QUARANTINE, tokens, this.lockKey, QUARANTINE));
    return at === 0 ? null : at;
  }

  /**
   * Store `tokens` only when none are stored and the session was not signed out since
   * (clear() leaves a marker that every store deletes): after an outage, an instance that
   * held tokens puts them back into a Redis that lost them, but never undoes a sign-out it
   * did not hear about. Seeding holds renewals back for holdMs (see SEED).
   */
  seed(tokens: TokenSet): Promise<SeedOutcome> {
    return this.write(SEED, tokens, this.lockKey, QUARANTINE, String(this.options.holdMs)) as Promise<SeedOutcome>;
  }

  /** Run a write script: KEYS tokens, signed-out marker, `lockKey`; ARGV record, channel, message, `extra`. */
  private write(script: string, tokens: TokenSet, lockKey: string, ...extra: string[]): Promise<number | string> {
    return this.serialized(async () => {
      const result = (await this.options.redis.eval(
        script,
        3,
        this.key,
        this.signedOutKey,
        lockKey,
        this.record(tokens),
        this.channel,
        this.message('saved'),
        ...extra,
      )) as number | string;
      if (result !== 0 && result !== 'present' && result !== 'signed-out') this.unreadable = null;
      return result;
    });
  }

  /** Whether the session was signed out and nothing was stored since (see seed()). Throws when Redis is unreachable. */
  async signedOut(): Promise<boolean> {
    return (await this.options.redis.exists(this.signedOutKey)) === 1;
  }

  /**
   * Note, under `lease`, that `refreshToken` is about to be presented upstream (only its
   * SHA-256 is stored). An instance that dies before storing the answer leaves this behind,
   * so the next renewer knows the token may already be spent. False when the lease expired.
   */
  async markPresented(refreshToken: string, lease: Lease): Promise<boolean> {
    return (await this.options.redis.eval(MARK_PRESENTED, 2, this.presentedKey, lease.key, fingerprint(refreshToken), lease.token)) === 1;
  }

  /** Remember that this upstream rotates refresh tokens (a refresh answer carried a new one). */
  async noteRotation(): Promise<void> {
    await this.options.redis.set(this.rotatesKey, '1');
  }

  /** Whether `refreshToken` was presented before, and whether refresh tokens rotate. Throws when Redis is unreachable. */
  async refreshHistory(refreshToken: string): Promise<RefreshHistory> {
    const [presented, rotates] = await this.options.redis.mget(this.presentedKey, this.rotatesKey);
    return { presented: presented === fingerprint(refreshToken), rotates: rotates === '1' };
  }

  clear(): Promise<void> {
    return this.serialized(async () => {
      await this.options.redis.multi().del(this.key).set(this.signedOutKey, '1').publish(this.channel, this.message('cleared')).exec();
      this.unreadable = null;
    });
  }

  /** Resolves once every write asked for so far has completed. */
  async flush(): Promise<void> {
    await this.writes;
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(task, task);
    this.writes = run.catch(() => {});
    return run;
  }

  private record(tokens: TokenSet): string {
    const { key, upstream } = this.options;
    const content = key ? { version: FORMAT_VERSION, upstream, sealed: seal(JSON.stringify(tokens), key) } : { version: FORMAT_VERSION, upstream, ...tokens };
    return JSON.stringify(content);
  }

  private message(event: TokensChanged['event']): string {
    return JSON.stringify({ event, by: this.options.instanceId } satisfies TokensChanged);
  }
}

function fingerprint(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('hex');
}
