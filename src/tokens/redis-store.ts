// Tokens in Redis, shared by every gateway instance that uses the same EVERCYCLE_REDIS_URL
// and EVERCYCLE_REDIS_PREFIX: key `<prefix>tokens`, in the token file's format (JSON that
// records the upstream, the tokens sealed with AES-256-GCM when EVERCYCLE_SECRET_KEY is
// set). Every save and clear is announced on `<prefix>tokens:changed`, so the other
// instances pick the new tokens up at once (coordinator.ts).
//
// Like the file, the record is ignored for another upstream: tokens never travel to another
// server. load() never throws (the TokenStore contract); read() does, so the coordinator can
// tell "no tokens" from "Redis is down".
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Redis } from '../redis/connection.js';
import type { Lease } from './cluster-lock.js';
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

// KEYS[1] tokens, KEYS[2] lock; ARGV[1] record, ARGV[2] lease value, ARGV[3] channel, ARGV[4] message.
const SAVE_FENCED = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

// KEYS[1] presented, KEYS[2] lock; ARGV[1] fingerprint, ARGV[2] lease value.
const MARK_PRESENTED = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

// KEYS[1] state marker, KEYS[2] key id; ARGV[1] this instance's key id, ARGV[2] key id ttl ms.
// The marker exists as long as Redis has kept what the gateways stored (a restart without
// persistence loses it); the key id is kept alive by the instances that use it.
const CLAIM = `
local fresh = 0
if redis.call('SET', KEYS[1], '1', 'NX') then fresh = 1 end
local current = redis.call('GET', KEYS[2])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {fresh, 1}
end
return {fresh, 0}`;

// KEYS[1] tokens, KEYS[2] lock; ARGV[1] record, ARGV[2] the quarantine value, ARGV[3] channel, ARGV[4] message.
const SAVE_IN_QUARANTINE = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

// KEYS[1] tokens, KEYS[2] signed-out marker; ARGV[1] record.
const SEED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'present' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'signed-out' end
redis.call('SET', KEYS[1], ARGV[1])
return 'seeded'`;

/** What seed() found: it stored the tokens, or tokens are there already, or the session was signed out. */
export type SeedOutcome = 'seeded' | 'present' | 'signed-out';

/** The lock's value while renewals are held back after Redis lost its state (see RedisTokenCoordinator). */
export const QUARANTINE = 'quarantine';

/** What claim() found. */
export interface Claim {
  /** Redis had lost what the gateways stored (or this is the first instance ever): the state marker was set now. */
  fresh: boolean;
  /** The instances sharing this Redis use this instance's EVERCYCLE_SECRET_KEY (or none, like it). */
  sameKey: boolean;
}

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
}

export class RedisTokenStore implements TokenStore {
  readonly key: string;
  readonly channel: string;
  private readonly presentedKey: string;
  private readonly rotatesKey: string;
  private readonly logger: Logger;
  /** Writes run one after another, so the record ends with the last one asked for. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Why the last record read could not be used (another EVERCYCLE_SECRET_KEY, most likely); null once one was, or this instance wrote its own. */
  private unreadable: string | null = null;
  /** Set while the other instances use another EVERCYCLE_SECRET_KEY (claim()): this one then neither uses nor stores the shared session. */
  private keyMismatch: string | null = null;
  /** Exists as long as Redis keeps what the gateways stored (see claim()). */
  readonly stateKey: string;
  private readonly keyIdKey: string;
  /** Set by clear(): the session was signed out (see seed()). */
  private readonly signedOutKey: string;
  /** Identifies the at-rest key without revealing it: a hash of a derivation, or "none". */
  private readonly keyId: string;

  constructor(private readonly options: RedisTokenStoreOptions) {
    this.key = `${options.prefix}tokens`;
    this.channel = `${options.prefix}tokens:changed`;
    this.presentedKey = `${options.prefix}tokens:presented`;
    this.rotatesKey = `${options.prefix}tokens:rotates`;
    this.stateKey = `${options.prefix}state`;
    this.keyIdKey = `${options.prefix}key-id`;
    this.signedOutKey = `${options.prefix}tokens:signed-out`;
    this.keyId = options.key ? `sha256:${createHash('sha256').update('evercycle-gateway key id\0').update(options.key).digest('hex').slice(0, 32)}` : 'none';
    this.logger = options.logger;
  }

  /**
   * Say which at-rest key this instance uses, and learn whether Redis kept its state. The
   * first instance (or the first after every instance using the previous key is gone: the
   * key id lives keyIdTtlMs unless claimed again) sets the key for all of them; an instance
   * with another key is refused the shared session until it is restarted with the right
   * one, so a misconfigured instance can neither take the others' tokens nor replace them.
   * Call it at start and then periodically (well within keyIdTtlMs). Throws when Redis is unreachable.
   */
  async claim(keyIdTtlMs: number): Promise<Claim> {
    const [fresh, same] = (await this.options.redis.eval(CLAIM, 2, this.stateKey, this.keyIdKey, this.keyId, String(keyIdTtlMs))) as [number, number];
    const mismatch =
      same === 1
        ? null
        : this.options.key
          ? 'the gateway instances sharing this Redis use another EVERCYCLE_SECRET_KEY (or none): this one does not use or store the shared session; give every instance the same key'
          : 'the gateway instances sharing this Redis have an EVERCYCLE_SECRET_KEY and this one has none: it does not use or store the shared session; give every instance the same key';
    if (mismatch && mismatch !== this.keyMismatch) this.logger.error({ redis_key: this.keyIdKey }, mismatch);
    if (!mismatch && this.keyMismatch) this.logger.info('the gateway instances sharing this Redis now use the same EVERCYCLE_SECRET_KEY as this one');
    this.keyMismatch = mismatch;
    return { fresh: fresh === 1, sameKey: same === 1 };
  }

  /** Why this instance must not use or store the shared session now (another key than the other instances'), or null. */
  get refusal(): string | null {
    return this.keyMismatch;
  }

  /**
   * Why the shared record cannot be used here, when the last read found one it could not use
   * (sealed with another EVERCYCLE_SECRET_KEY, or stored unencrypted while this instance has
   * a key): the instances disagree on the key and do not share one session. Null otherwise.
   */
  get problem(): string | null {
    return this.keyMismatch ?? this.unreadable;
  }

  /** The stored tokens, or null when there are none (or unusable ones). Throws when Redis cannot be reached. */
  async read(): Promise<TokenSet | null> {
    if (this.keyMismatch) return null;
    const text = await this.options.redis.get(this.key);
    this.unreadable = null;
    if (text === null) return null;
    const { key, upstream } = this.options;
    try {
      const parsed = recordSchema.parse(JSON.parse(text));
      if (parsed.upstream !== upstream) {
        this.logger.warn({ redis_key: this.key }, 'tokens in Redis belong to another Evercycle upstream; ignored');
        return null;
      }
      if (!('sealed' in parsed)) {
        // An instance without the key wrote them: taking them would let any instance
        // downgrade the cluster's tokens to plaintext.
        if (key) return this.refuse('tokens in Redis are stored unencrypted, but EVERCYCLE_SECRET_KEY is set here: every instance needs the same key; ignored');
        const { version: _version, upstream: _upstream, ...tokens } = parsed;
        return tokens;
      }
      if (!key) return this.refuse('tokens in Redis are encrypted but EVERCYCLE_SECRET_KEY is not set here: every instance needs the same key; ignored');
      return tokensSchema.parse(JSON.parse(unseal(parsed.sealed, key)));
    } catch (err) {
      if (err instanceof TokenDecryptError) {
        return this.refuse('tokens in Redis cannot be decrypted with EVERCYCLE_SECRET_KEY (another instance has another key, or they were altered); ignored');
      }
      // Never log the content: it may hold half a token.
      this.logger.warn({ redis_key: this.key }, 'tokens in Redis are corrupt; ignored');
      return null;
    }
  }

  private refuse(reason: string): null {
    if (this.unreadable !== reason) this.logger.error({ redis_key: this.key }, reason);
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

  save(tokens: TokenSet): Promise<void> {
    return this.serialized(async () => {
      this.refuseWrite();
      await this.options.redis.multi().set(this.key, this.record(tokens)).publish(this.channel, this.message('saved')).exec();
      this.unreadable = null;
    });
  }

  /**
   * Store `tokens` only while `lease` still holds its lock (checked and written atomically):
   * false when the lock expired and may belong to another instance by now.
   */
  saveFenced(tokens: TokenSet, lease: Lease): Promise<boolean> {
    return this.serialized(async () => {
      this.refuseWrite();
      const done = await this.options.redis.eval(SAVE_FENCED, 2, this.key, lease.key, this.record(tokens), lease.token, this.channel, this.message('saved'));
      if (done === 1) this.unreadable = null;
      return done === 1;
    });
  }

  /**
   * Store `tokens` only when none are stored and the session was not signed out since Redis
   * last lost its state (clear() leaves a marker): after an outage, an instance that held
   * tokens puts them back into a Redis that lost them, but never undoes a sign-out it did
   * not hear about.
   */
  seed(tokens: TokenSet): Promise<SeedOutcome> {
    return this.serialized(async () => {
      this.refuseWrite();
      return (await this.options.redis.eval(SEED, 2, this.key, this.signedOutKey, this.record(tokens))) as SeedOutcome;
    });
  }

  /**
   * Store `tokens` while renewals are held back after Redis lost its state (the lock holds
   * QUARANTINE), and lift the hold: the renewal that was under way when Redis lost its
   * state has landed, and the instances waiting take its tokens. False when there is no
   * such hold (it ended, or another instance holds the lock).
   */
  saveInQuarantine(tokens: TokenSet, lockKey: string): Promise<boolean> {
    return this.serialized(async () => {
      this.refuseWrite();
      const done = await this.options.redis.eval(SAVE_IN_QUARANTINE, 2, this.key, lockKey, this.record(tokens), QUARANTINE, this.channel, this.message('saved'));
      if (done === 1) this.unreadable = null;
      return done === 1;
    });
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
      this.refuseWrite();
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

  private refuseWrite(): void {
    if (this.keyMismatch) throw new KeyMismatchError(this.keyMismatch);
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

/** A write refused because this instance's at-rest key is not the one the others use. */
export class KeyMismatchError extends Error {
  override name = 'KeyMismatchError';
}

function fingerprint(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('hex');
}
