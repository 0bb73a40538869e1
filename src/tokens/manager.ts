// The gateway's Evercycle session: which tokens it holds, whether they are still valid,
// and renewing them.
//
// - Renewal is single flight: however many requests find the token expired at once, one
//   refresh (or sign-in) goes upstream and all of them await it.
// - Sign-ins never overlap (at most one in flight), and after the service account is
//   rejected the next attempt waits, doubling each time: a wrong password must never
//   hammer the sign-in endpoint until Evercycle locks the account.
// - After a refresh fails for want of an answer (outage, 5xx), no new attempt for a short
//   cooldown: a broken refresh endpoint sees a few calls a minute, not one per request.
//   Meanwhile a token that has not actually expired yet is still used.
// - Shortly before the token stops counting as valid it is refreshed in the background,
//   so callers rarely wait on a refresh.
// - With a coordinator (EVERCYCLE_REDIS_URL), the single flight spans every gateway instance
//   sharing the Redis: see renewClustered().
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import { AuthRejectedError, type AuthResult } from '../upstream/auth-result.js';
import type { Lease, SharedTokensEvent, TokenCoordinator } from './coordinator.js';
import type { AuthApi, TokenSet, TokenStore } from './types.js';

export interface TokenManagerOptions {
  store: TokenStore;
  auth: AuthApi;
  logger: Logger;
  /** A token stops counting as valid this many seconds before it expires. */
  skewS: number;
  /** Service credentials: when set, the gateway signs in by itself whenever it has no valid token. */
  credentials?: { username: string; password: string } | undefined;
  /** First wait after a rejected service sign-in (ms); doubles per further rejection up to signinBackoffMaxMs. */
  signinBackoffMs?: number;
  signinBackoffMaxMs?: number;
  /** No new refresh attempt for this long after one failed without an answer (ms). */
  refreshCooldownMs?: number;
  /** Refresh in the background this long (s) before the token stops counting as valid; 0 disables. */
  refreshAheadS?: number;
  /** After this many rejected service sign-ins in a row, stop signing in by itself until a POST /api/auth succeeds. */
  signinMaxFailures?: number;
  now?: () => number;
  /** Told how each refresh and sign-in that went upstream ended (metrics). */
  observer?: TokenObserver | undefined;
  /** Shares the session with other gateway instances (Redis): one renewal cluster-wide, tokens kept in step. */
  coordinator?: TokenCoordinator | undefined;
}

export type AuthOutcome = 'success' | 'failure';
/** Who asked for a sign-in: the configured service account, or a client (POST /api/auth). */
export type SignInSource = 'service_account' | 'client';

export interface TokenObserver {
  onRefresh(result: AuthOutcome): void;
  onSignIn(result: AuthOutcome, source: SignInSource): void;
}

export interface TokenStatus {
  authenticated: boolean;
  /** The service account cannot sign in now (backing off, or paused after repeated rejections). */
  signinBlocked: boolean;
  /** Seconds until the held token expires (may be negative), or null without a token. */
  expiresInS: number | null;
  /** A token is held that calls can still use (not expired, not refused), even if it is due for renewal. */
  usable: boolean;
}

/** Bound on the usernames whose failed sign-ins are remembered (a flood of names cannot grow memory). */
const MAX_TRACKED_USERS = 10_000;

export const REFRESH_FAILED_MESSAGE = 'token refresh failed: POST /api/auth again';
export const NOT_AUTHENTICATED_MESSAGE = 'not authenticated: POST /api/auth first';

const DEFAULTS = { signinBackoffMs: 5_000, signinBackoffMaxMs: 300_000, refreshCooldownMs: 10_000, refreshAheadS: 120, signinMaxFailures: 3 };

export class TokenManager {
  private tokens: TokenSet | null = null;
  /** Tokens the upstream refused (401) although unexpired: never used again. */
  private refused: TokenSet | null = null;
  private renewing: Promise<TokenSet> | null = null;
  /** Tail of the sign-in queue: sign-ins run one at a time. */
  private signInTail: Promise<unknown> = Promise.resolve();
  private signinFailures = 0;
  private signinPaused = false;
  /** POST /api/auth rejections per username (lower case): consecutive failures and until when to wait. */
  private readonly manualBackoff = new Map<string, { failures: number; until: number }>();
  private nextSigninAt = 0;
  /** Until when a failed refresh blocks new attempts, and why it failed. */
  private refreshBlock: { until: number; error: GatewayError } | null = null;
  private proactiveTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The cluster lock held by the renewal in progress (coordinator only): its tokens are stored under it. */
  private lease: Lease | null = null;
  /** Bumped whenever the session is dropped here: a read of the shared tokens started before is stale. */
  private generation = 0;
  private readonly now: () => number;
  private readonly cfg: typeof DEFAULTS;

  constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now;
    this.cfg = {
      signinBackoffMs: options.signinBackoffMs ?? DEFAULTS.signinBackoffMs,
      signinBackoffMaxMs: options.signinBackoffMaxMs ?? DEFAULTS.signinBackoffMaxMs,
      refreshCooldownMs: options.refreshCooldownMs ?? DEFAULTS.refreshCooldownMs,
      refreshAheadS: options.refreshAheadS ?? DEFAULTS.refreshAheadS,
      signinMaxFailures: options.signinMaxFailures ?? DEFAULTS.signinMaxFailures,
    };
    options.coordinator?.onChange((event) => {
      this.syncShared(event).catch((err: unknown) => options.logger.warn({ reason: (err as Error).message }, 'could not pick up the shared tokens'));
    });
  }

  /** Load persisted tokens. Call once before serving. */
  async init(): Promise<void> {
    this.tokens = await this.options.store.load();
    if (this.tokens) this.scheduleProactiveRefresh(this.tokens);
  }

  status(): TokenStatus {
    const signinBlocked = this.hasCredentials && (this.signinPaused || this.nextSigninAt > this.now());
    const held = this.tokens;
    if (!held) return { authenticated: false, signinBlocked, expiresInS: null, usable: false };
    return {
      authenticated: this.isValid(held),
      signinBlocked,
      expiresInS: Math.floor((held.expiresAt - this.now()) / 1000),
      usable: held !== this.refused && held.expiresAt > this.now(),
    };
  }

  /** Whether the gateway can sign in by itself. */
  get hasCredentials(): boolean {
    return this.options.credentials !== undefined;
  }

  /** Sign in with the given credentials (POST /api/auth, whose request id goes upstream) and store the tokens. */
  async signIn(username: string, password: string, requestId?: string): Promise<void> {
    // The same protection for people: from the second rejection in a row (one typo is
    // free), that username waits (doubling) before its next attempt reaches Evercycle, so
    // a burst of wrong passwords cannot lock the account.
    const user = username.trim().toLowerCase();
    const wait = this.manualBackoff.get(user);
    if (wait && wait.until > this.now()) {
      const retryAfter = Math.ceil((wait.until - this.now()) / 1000);
      throw new GatewayError(429, `too many failed sign-ins for this user; retry in ${retryAfter} s`, {}, { 'retry-after': String(retryAfter) });
    }
    await this.underClusterLock(async () => {
      let result: AuthResult;
      try {
        result = await this.serialSignIn(username, password, 'client', requestId);
      } catch (err) {
        if (err instanceof AuthRejectedError) {
          const failures = (wait?.failures ?? 0) + 1;
          const backoffMs = failures < 2 ? 0 : this.signinBackoff(failures - 1);
          if (this.manualBackoff.size >= MAX_TRACKED_USERS) this.manualBackoff.clear();
          this.manualBackoff.set(user, { failures, until: this.now() + backoffMs });
        }
        throw err;
      }
      this.manualBackoff.delete(user);
      await this.adopt(result, result.RefreshToken!);
    });
    // A human just supplied working credentials: lift any back-off from earlier failures.
    this.signinFailures = 0;
    this.nextSigninAt = 0;
    this.signinPaused = false;
    this.options.logger.info('signed in to Evercycle; tokens stored');
  }

  /**
   * Forget the Evercycle session (DELETE /api/auth): the tokens in memory and in the store,
   * and the background refresh. A renewal already upstream is waited for first, so its
   * tokens cannot arrive after this and sign the gateway back in. Evercycle has no sign-out
   * endpoint: the tokens are dropped here, not revoked there. With a service account
   * configured (and not paused after rejections), the next call signs in again by itself
   * (`resignsIn`): signing out does not turn the service account off. A store that cannot
   * be cleared throws (the tokens would come back at the next start).
   */
  async signOut(): Promise<{ hadTokens: boolean; resignsIn: boolean }> {
    await this.renewing?.catch(() => {});
    let hadTokens = false;
    await this.underClusterLock(async () => {
      hadTokens = this.tokens !== null;
      this.dropHeld();
      this.refused = null;
      this.refreshBlock = null;
      try {
        await this.options.store.clear();
      } catch (err) {
        this.options.logger.error({ reason: (err as Error).message }, 'could not remove the stored tokens');
        throw new GatewayError(500, 'signed out in memory, but the stored tokens could not be removed: they come back at the next start');
      }
    });
    this.options.logger.info({ service_account: this.hasCredentials }, 'signed out of Evercycle; tokens dropped');
    return { hadTokens, resignsIn: this.hasCredentials && !this.signinPaused };
  }

  /** A valid token set, renewing first when needed. Throws GatewayError (401/502/503/504) when none can be had. */
  async getValid(): Promise<TokenSet> {
    const current = this.tokens;
    if (current && this.isValid(current)) return current;
    try {
      return await this.renewOnce();
    } catch (err) {
      // An outage is no reason to stop using a token that has not actually expired.
      if (err instanceof GatewayError && err.statusCode >= 500 && current && this.tokens === current && current !== this.refused && current.expiresAt > this.now()) {
        this.options.logger.warn({ reason: err.message }, 'token renewal failed; using the current token until it expires');
        return current;
      }
      throw err;
    }
  }

  /**
   * The upstream answered 401 to a call made with `rejected`. Renew once and hand back
   * the new tokens for a single replay; when another request already renewed meanwhile,
   * its tokens are returned without a second renewal.
   */
  async afterRejection(rejected: TokenSet): Promise<TokenSet> {
    // Until renewed, calls must not go on presenting tokens the upstream has refused.
    if (this.tokens === rejected) this.refused = rejected;
    if (this.tokens && this.tokens !== rejected && this.isValid(this.tokens)) return this.tokens;
    return this.renewOnce();
  }

  /** Sign in at start-up when service credentials are set and no valid token is held. */
  async warmUp(): Promise<void> {
    if (!this.hasCredentials || (this.tokens && this.isValid(this.tokens))) return;
    try {
      await this.renewOnce();
    } catch (err) {
      this.options.logger.warn({ reason: (err as Error).message }, 'start-up sign-in failed; will retry on the next request');
    }
  }

  /**
   * Shutdown has begun: no more background refreshes, and calls waiting for another
   * instance's renewal stop waiting (503) so they do not hold the shutdown. A renewal this
   * instance is making itself carries on.
   */
  beginShutdown(): void {
    this.stopped = true;
    clearTimeout(this.proactiveTimer);
  }

  /** Stop background work and wait until the token store has written everything (shutdown). */
  async stop(): Promise<void> {
    this.beginShutdown();
    await this.renewing?.catch(() => {});
    await this.options.store.flush();
  }

  private isValid(tokens: TokenSet): boolean {
    return tokens !== this.refused && this.now() < this.validUntil(tokens);
  }

  /** When the token stops counting as valid. The skew never exceeds half the lifetime:
   * with ExpiresIn <= skew a token would be stale on arrival and every call would renew. */
  private validUntil(tokens: TokenSet): number {
    return tokens.expiresAt - Math.min(this.options.skewS * 1000, (tokens.expiresAt - tokens.obtainedAt) / 2);
  }

  private renewOnce(): Promise<TokenSet> {
    this.renewing ??= this.renew().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private renew(): Promise<TokenSet> {
    const { coordinator } = this.options;
    return coordinator ? this.renewClustered(coordinator) : this.renewLocal();
  }

  /**
   * The single flight across instances. Whoever takes the cluster lock renews, after reading
   * the shared tokens again under the lock: when another instance renewed meanwhile, its
   * tokens are taken and nothing goes upstream (so a rotating refresh token is never
   * presented twice). The others never call upstream while the lock is held: they wait for
   * the change message (or poll) and take the new tokens. When the holder dies, its lock
   * expires after lockTtlMs and the next waiter takes over. Redis unreachable: no renewal
   * (503; getValid keeps using a token that has not actually expired), and never a sign-in
   * with the service account just because the shared tokens cannot be read.
   */
  private async renewClustered(coordinator: TokenCoordinator): Promise<TokenSet> {
    const held = this.tokens;
    // Real time, not this.now(): the lock's TTL runs on Redis's clock.
    const giveUpAt = Date.now() + 2 * coordinator.lockTtlMs + 1000;
    let waited = false;
    for (;;) {
      const lease = await viaRedis(coordinator.acquire());
      if (lease) {
        try {
          const shared = await viaRedis(coordinator.read());
          if (shared && this.isNewer(shared, held)) {
            const taken = this.take(shared);
            if (this.isValid(taken)) return taken;
            // Newer but stale too: renew from it (its refresh token is the current one).
          }
          // Nothing shared, and the session was signed out (a sign-out this instance did not
          // hear, being cut off from Redis): the tokens held here must not be renewed.
          if (!shared && this.tokens && (await viaRedis(coordinator.signedOut()))) {
            this.dropShared('the shared Evercycle session was signed out while Redis was unreachable from here; dropped here too');
          }
          this.lease = lease;
          return await this.renewLocal(await this.refreshSpent(coordinator));
        } finally {
          this.lease = null;
          await coordinator.release(lease);
        }
      }
      if (!waited) this.options.logger.debug('another gateway instance is renewing the Evercycle token; waiting for it');
      waited = true;
      if (this.stopped) throw shuttingDown();
      if (Date.now() >= giveUpAt) {
        throw busyElsewhere();
      }
      await coordinator.waitForChange(Math.min(coordinator.pollMs, giveUpAt - Date.now()));
      const shared = await viaRedis(coordinator.read());
      if (shared && this.isNewer(shared, held)) {
        const taken = this.take(shared);
        if (this.isValid(taken)) return taken;
      }
    }
  }

  /**
   * Run a client sign-in or sign-out holding the cluster-wide renewal lock (with a
   * coordinator), so it cannot interleave with a renewal on another instance: a refresh
   * that started before would otherwise store the old session over the new one.
   */
  private async underClusterLock(task: () => Promise<void>): Promise<void> {
    const { coordinator } = this.options;
    if (!coordinator) return task();
    const giveUpAt = Date.now() + 2 * coordinator.lockTtlMs + 1000;
    let lease: Lease | null;
    for (;;) {
      lease = await viaRedis(coordinator.acquire());
      if (lease) break;
      if (this.stopped) throw shuttingDown();
      if (Date.now() >= giveUpAt) throw busyElsewhere();
      await coordinator.waitForChange(Math.min(coordinator.pollMs, giveUpAt - Date.now()));
    }
    this.lease = lease;
    try {
      await task();
    } finally {
      this.lease = null;
      await coordinator.release(lease);
    }
  }

  /**
   * Whether the refresh token held now must not be presented: an instance sent it upstream
   * and died before storing the answer, and this upstream rotates refresh tokens, so it was
   * spent (presenting it again would be refused, or taken as token theft). A refresh token
   * that does not rotate is presented again.
   */
  private async refreshSpent(coordinator: TokenCoordinator): Promise<boolean> {
    if (!this.tokens) return false;
    const history = await viaRedis(coordinator.refreshHistory(this.tokens.refreshToken));
    return history.presented && history.rotates;
  }

  /** With a coordinator: record under the lock that `refreshToken` goes upstream now (see refreshSpent). */
  private async notePresented(refreshToken: string): Promise<void> {
    const { coordinator } = this.options;
    const lease = this.lease;
    if (!coordinator || !lease) return;
    const marked = await viaRedis(coordinator.markPresented(refreshToken, lease));
    if (!marked) throw new GatewayError(503, 'the cluster-wide token renewal lock expired before the refresh was sent; retry shortly', {}, { 'retry-after': '1' });
  }

  /** Another instance changed the shared tokens, or Redis is back: bring memory in step. */
  private async syncShared(event: SharedTokensEvent): Promise<void> {
    const { coordinator, logger } = this.options;
    if (this.stopped || !coordinator) return;
    if (event === 'cleared') {
      // Signed out elsewhere (DELETE /api/auth, or a refused refresh): this instance too,
      // also while it waits for a renewal elsewhere, which then must not refresh the
      // dropped session. (A renewal holding the lock here cannot meet a sign-out: that
      // takes the lock too; if its lock was lost, its tokens are not stored.)
      this.dropShared('the shared Evercycle session was dropped by another gateway instance');
      return;
    }
    // Back after an outage, perhaps to a Redis that lost everything: put the tokens held
    // here back if Redis has none, unless the session was signed out meanwhile (then drop
    // them here too: never undo a sign-out this instance did not hear about).
    const generation = this.generation;
    const held = this.tokens;
    if (event === 'reconnected' && held && held !== this.refused) {
      const outcome = await coordinator.seed(held);
      if (generation !== this.generation || this.stopped) return;
      if (outcome === 'seeded') {
        logger.info('Redis had lost the shared tokens; stored the ones held here again');
        return;
      }
      if (outcome === 'signed-out') {
        this.dropShared('the shared Evercycle session was signed out while Redis was unreachable from here; dropped here too');
        return;
      }
    }
    const shared = await coordinator.read();
    // Signed out (here or by a 'cleared' message) while the read was under way: what it
    // found is the session just dropped, not one to take back.
    if (generation !== this.generation || this.stopped) return;
    if (shared && this.isNewer(shared, this.tokens)) this.take(shared);
  }

  /** The session was signed out elsewhere: drop it here too (said once, when one was held). */
  private dropShared(message: string): void {
    if (this.tokens) this.options.logger.info(message);
    this.dropHeld();
    this.refused = null;
  }

  /** Forget the tokens held in memory; a read of the shared tokens started before is now stale (generation). */
  private dropHeld(): void {
    this.generation++;
    this.tokens = null;
    clearTimeout(this.proactiveTimer);
  }

  /** Whether `shared` replaces `held`: other tokens, not older, and not ones the upstream refused. */
  private isNewer(shared: TokenSet, held: TokenSet | null): boolean {
    if (this.refused && shared.accessToken === this.refused.accessToken) return false;
    if (!held) return true;
    if (shared.accessToken === held.accessToken) return false;
    // Both stamped by Redis's clock when stored: comparable whatever the instances' clocks say.
    if (shared.storedAt !== undefined && held.storedAt !== undefined) return shared.storedAt >= held.storedAt;
    // Tokens held here but never stored (Redis was down): the shared ones are the cluster's.
    if (shared.storedAt !== undefined) return true;
    return shared.obtainedAt >= held.obtainedAt;
  }

  /** Use tokens another instance obtained (the same object when they are already held). */
  private take(shared: TokenSet): TokenSet {
    const current = this.tokens;
    if (current && current.accessToken === shared.accessToken && current.refreshToken === shared.refreshToken) return current;
    this.tokens = shared;
    this.refreshBlock = null;
    this.scheduleProactiveRefresh(shared);
    return shared;
  }

  /** `refreshSpent`: skip the refresh, as if Evercycle had refused the refresh token (see refreshSpent()). */
  private async renewLocal(refreshSpent = false): Promise<TokenSet> {
    const { credentials, logger } = this.options;
    const held = this.tokens;
    // A POST /api/auth that completes while this renewal is upstream replaces the tokens:
    // that newer sign-in wins over whatever this renewal brings back, and a refused
    // renewal must not throw it away.
    const superseded = (): TokenSet | null => (this.tokens && this.tokens !== held ? this.tokens : null);
    if (held && refreshSpent) {
      logger.warn('the refresh token was sent to Evercycle by a gateway instance that stopped before storing the answer; refresh tokens rotate, so it is not sent again');
      if (!credentials) {
        await this.forget();
        throw new GatewayError(401, REFRESH_FAILED_MESSAGE);
      }
    } else if (held) {
      const block = this.refreshBlock;
      if (block && this.now() < block.until) throw cooldownError(block, this.now());
      await this.notePresented(held.refreshToken);
      try {
        const result = await observed(this.options.auth.refresh(held.refreshToken), (outcome) => this.options.observer?.onRefresh(outcome));
        this.refreshBlock = null;
        if (result.RefreshToken && result.RefreshToken !== held.refreshToken) await this.options.coordinator?.noteRotation();
        const newer = superseded();
        if (newer) return newer;
        logger.info('Evercycle token refreshed');
        // Cognito's refresh answer carries no RefreshToken: keep the one we have.
        return await this.adopt(result, result.RefreshToken ?? held.refreshToken);
      } catch (err) {
        if (!(err instanceof AuthRejectedError)) {
          if (err instanceof GatewayError) {
            this.refreshBlock = { until: this.now() + this.cfg.refreshCooldownMs, error: err };
            logger.warn({ reason: err.message, cooldown_ms: this.cfg.refreshCooldownMs }, 'token refresh failed; pausing refresh attempts');
          }
          throw err;
        }
        logger.warn({ upstream_status: err.upstreamStatus }, 'Evercycle rejected the refresh token');
        const newer = superseded();
        if (newer) return newer;
        if (!credentials) {
          await this.forget();
          throw new GatewayError(401, REFRESH_FAILED_MESSAGE);
        }
      }
    }
    if (!credentials) throw new GatewayError(401, NOT_AUTHENTICATED_MESSAGE);
    if (this.signinPaused) {
      throw new GatewayError(
        401,
        `the configured service account was rejected ${this.signinFailures} times in a row; automatic sign-in is paused until POST /api/auth succeeds or the gateway restarts`,
      );
    }
    const waitMs = this.nextSigninAt - this.now();
    if (waitMs > 0) {
      throw new GatewayError(401, `sign-in with the configured service account failed; next attempt in ${Math.ceil(waitMs / 1000)} s`, {}, {
        'retry-after': String(Math.ceil(waitMs / 1000)),
      });
    }
    try {
      const result = await this.serialSignIn(credentials.username, credentials.password, 'service_account');
      this.signinFailures = 0;
      this.nextSigninAt = 0;
      const newer = superseded();
      if (newer) return newer;
      logger.info('signed in to Evercycle with the configured service account');
      return await this.adopt(result, result.RefreshToken!);
    } catch (err) {
      if (!(err instanceof AuthRejectedError)) throw err;
      this.signinFailures++;
      // A few rejections in a row mean a wrong password (or a locked account): every further
      // attempt would count towards, or extend, Evercycle's lock-out. Stop until a human acts.
      if (this.signinFailures >= this.cfg.signinMaxFailures) this.signinPaused = true;
      const backoffMs = this.signinBackoff(this.signinFailures);
      this.nextSigninAt = this.now() + backoffMs;
      logger.error(
        { upstream_status: err.upstreamStatus, failures: this.signinFailures, next_attempt_in_ms: this.signinPaused ? null : backoffMs },
        this.signinPaused
          ? 'Evercycle rejected the configured service account again; automatic sign-in paused until POST /api/auth succeeds'
          : 'Evercycle rejected the configured service account; backing off',
      );
      const newer = superseded();
      if (newer) return newer;
      await this.forget();
      throw new GatewayError(401, held ? REFRESH_FAILED_MESSAGE : 'sign-in with the configured service account failed');
    }
  }

  /** Wait before the next sign-in after the n-th counted rejection: base, doubling, capped. */
  private signinBackoff(n: number): number {
    return Math.min(this.cfg.signinBackoffMaxMs, this.cfg.signinBackoffMs * 2 ** (n - 1));
  }

  /** Sign-ins (ours and POST /api/auth) go upstream one at a time. */
  private serialSignIn(username: string, password: string, source: SignInSource, requestId?: string): Promise<AuthResult> {
    const run = this.signInTail.then(() =>
      observed(
        this.options.auth.signIn(username, password, requestId).then((result) => {
          if (!result.RefreshToken) throw new GatewayError(502, 'Evercycle sign-in answer carried no RefreshToken');
          return result;
        }),
        (outcome) => this.options.observer?.onSignIn(outcome, source),
      ),
    );
    this.signInTail = run.catch(() => {});
    return run;
  }

  private async adopt(result: AuthResult, refreshToken: string): Promise<TokenSet> {
    const now = this.now();
    const tokens: TokenSet = {
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken,
      expiresAt: now + result.ExpiresIn * 1000,
      obtainedAt: now,
    };
    this.tokens = tokens;
    this.refreshBlock = null;
    this.scheduleProactiveRefresh(tokens);
    try {
      await this.persist(tokens);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        if (this.tokens) return this.tokens;
        throw new GatewayError(503, 'the cluster-wide token renewal lock was lost during the renewal; retry shortly', {}, { 'retry-after': '1' });
      }
      // Serving with tokens in memory beats failing the call; the next save retries.
      this.options.logger.error({ reason: (err as Error).message }, 'could not persist tokens');
    }
    return tokens;
  }

  /** Store new tokens: under the cluster lock when renewing with a coordinator. */
  private async persist(tokens: TokenSet): Promise<void> {
    const { coordinator, store, logger } = this.options;
    const lease = this.lease;
    if (!coordinator || !lease) return store.save(tokens);
    const storedAt = await coordinator.commit(tokens, lease);
    if (storedAt !== null) {
      tokens.storedAt = storedAt;
      return;
    }
    // Lost because Redis lost the tokens meanwhile: renewals are held back until this lands.
    const afterReset = await coordinator.commitAfterReset(tokens).catch(() => null);
    if (afterReset !== null) {
      tokens.storedAt = afterReset;
      logger.info('stored the renewed tokens in Redis, which had lost them during the renewal');
      return;
    }
    // The lock was lost while renewing (it is extended while held, so Redis was unreachable
    // for longer than its TTL, or this process stalled): another instance may have renewed,
    // signed in or signed out since. Nothing is written without the lock; the shared
    // session wins, and without one these tokens are not kept either, so a sign-out made
    // meanwhile stands.
    logger.warn({ lock_ttl_ms: coordinator.lockTtlMs }, 'lost the token renewal lock before storing the renewed tokens; they are dropped in favour of the shared session');
    const shared = await coordinator.read().catch(() => null);
    if (shared && this.isNewer(shared, null) && this.isValid(shared)) {
      this.take(shared);
      return;
    }
    this.dropHeld();
    throw new LeaseLostError();
  }

  private async forget(): Promise<void> {
    this.dropHeld();
    try {
      await this.options.store.clear();
    } catch (err) {
      this.options.logger.error({ reason: (err as Error).message }, 'could not remove the token file');
    }
  }

  /**
   * Refresh in the background before callers would have to wait for it: refreshAheadS
   * before the token stops counting as valid, but not before half its valid life. A
   * failure is logged and retried after the cooldown while the token is still valid.
   */
  private scheduleProactiveRefresh(tokens: TokenSet, delayOverrideMs?: number): void {
    clearTimeout(this.proactiveTimer);
    if (this.stopped || this.cfg.refreshAheadS === 0) return;
    const validUntil = this.validUntil(tokens);
    const at = Math.max(tokens.obtainedAt + (validUntil - tokens.obtainedAt) / 2, validUntil - this.cfg.refreshAheadS * 1000);
    const delayMs = delayOverrideMs ?? Math.max(0, at - this.now());
    this.proactiveTimer = setTimeout(() => {
      if (this.tokens !== tokens || this.stopped) return;
      this.renewOnce().catch((err: unknown) => {
        this.options.logger.warn({ reason: (err as Error).message }, 'background token refresh failed');
        if (this.tokens === tokens && this.isValid(tokens)) this.scheduleProactiveRefresh(tokens, Math.max(1000, this.cfg.refreshCooldownMs));
      });
    }, delayMs);
    // Never keep the process alive just for this.
    this.proactiveTimer.unref();
  }
}

/** `call`, telling `report` whether it succeeded; its value or error passes through unchanged. */
function observed<T>(call: Promise<T>, report: (outcome: AuthOutcome) => void): Promise<T> {
  return call.then(
    (value) => {
      report('success');
      return value;
    },
    (err: unknown) => {
      report('failure');
      throw err;
    },
  );
}

/** persist(): the renewal's cluster lock was lost, its tokens were not stored (see persist). */
class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

function shuttingDown(): GatewayError {
  return new GatewayError(503, 'the gateway is shutting down; retry shortly', {}, { 'retry-after': '1' });
}

function busyElsewhere(): GatewayError {
  return new GatewayError(503, 'another gateway instance is renewing the Evercycle token and has not finished; retry shortly', {}, { 'retry-after': '1' });
}

/** `call`, its failure (Redis unreachable) turned into the gateway's 503. */
function viaRedis<T>(call: Promise<T>): Promise<T> {
  return call.catch((err: unknown) => {
    throw redisDown(err);
  });
}

/** `_cause` is not shown: ioredis's messages speak of streams and queues, not of what the caller can do. */
function redisDown(_cause: unknown): GatewayError {
  return new GatewayError(503, 'Redis is unreachable: the Evercycle token cannot be renewed now; retry shortly', {}, { 'retry-after': '1' });
}

function cooldownError(block: { until: number; error: GatewayError }, now: number): GatewayError {
  const retryAfter = Math.max(1, Math.ceil((block.until - now) / 1000));
  return new GatewayError(
    block.error.statusCode === 504 ? 504 : 503,
    `token refresh failed recently (${block.error.message}); next attempt in ${retryAfter} s`,
    {},
    { 'retry-after': String(retryAfter) },
  );
}
