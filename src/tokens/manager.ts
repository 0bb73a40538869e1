// The gateway's Evercycle session: which tokens it holds, whether they are still valid,
// and renewing them. Renewal is single flight: however many requests find the token
// expired at once, one refresh (or sign-in) goes upstream and all of them await it.
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import { AuthRejectedError, type AuthApi, type AuthResult, type TokenSet, type TokenStore } from './types.js';

export interface TokenManagerOptions {
  store: TokenStore;
  auth: AuthApi;
  logger: Logger;
  /** A token stops counting as valid this many seconds before it expires. */
  skewS: number;
  /** Service credentials: when set, the gateway signs in by itself whenever it has no valid token. */
  credentials?: { username: string; password: string };
  now?: () => number;
}

export interface TokenStatus {
  authenticated: boolean;
  /** Seconds until the held token expires (may be negative), or null without a token. */
  expiresInS: number | null;
}

export const REFRESH_FAILED_MESSAGE = 'token refresh failed: POST /api/auth again';
export const NOT_AUTHENTICATED_MESSAGE = 'not authenticated: POST /api/auth first';

export class TokenManager {
  private tokens: TokenSet | null = null;
  private renewing: Promise<TokenSet> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Load persisted tokens. Call once before serving. */
  async init(): Promise<void> {
    this.tokens = await this.options.store.load();
  }

  status(): TokenStatus {
    if (!this.tokens) return { authenticated: false, expiresInS: null };
    return { authenticated: this.isValid(this.tokens), expiresInS: Math.floor((this.tokens.expiresAt - this.now()) / 1000) };
  }

  /** Whether the gateway can sign in by itself. */
  get hasCredentials(): boolean {
    return this.options.credentials !== undefined;
  }

  /** Sign in with the given credentials (POST /api/auth) and store the tokens. */
  async signIn(username: string, password: string): Promise<void> {
    const result = await this.options.auth.signIn(username, password);
    if (!result.RefreshToken) throw new GatewayError(502, 'Evercycle sign-in answer carried no RefreshToken');
    await this.adopt(result, result.RefreshToken);
    this.options.logger.info('signed in to Evercycle; tokens stored');
  }

  /** A valid token set, renewing first when needed. Throws GatewayError (401/502/504) when none can be had. */
  async getValid(): Promise<TokenSet> {
    const current = this.tokens;
    if (current && this.isValid(current)) return current;
    return this.renewOnce();
  }

  /**
   * The upstream answered 401 to a call made with `rejected`. Renew once and hand back
   * the new tokens for a single replay; when another request already renewed meanwhile,
   * its tokens are returned without a second renewal.
   */
  async afterRejection(rejected: TokenSet): Promise<TokenSet> {
    if (this.tokens && this.tokens !== rejected && this.isValid(this.tokens)) return this.tokens;
    return this.renewOnce();
  }

  /** Sign in at start-up when service credentials are set and no valid token is held. */
  async warmUp(): Promise<void> {
    if (!this.hasCredentials || (this.tokens && this.isValid(this.tokens))) return;
    try {
      await this.renewOnce();
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'start-up sign-in failed; will retry on the next request');
    }
  }

  private isValid(tokens: TokenSet): boolean {
    // The skew never exceeds half the token's lifetime: with ExpiresIn <= skew a token
    // would be stale on arrival and every call would renew first.
    const skewMs = Math.min(this.options.skewS * 1000, (tokens.expiresAt - tokens.obtainedAt) / 2);
    return tokens.expiresAt - this.now() > skewMs;
  }

  private renewOnce(): Promise<TokenSet> {
    this.renewing ??= this.renew().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renew(): Promise<TokenSet> {
    const { auth, credentials, logger } = this.options;
    const held = this.tokens;
    // A POST /api/auth that completes while this renewal is upstream replaces the tokens:
    // that newer sign-in wins over whatever this renewal brings back, and a refused
    // renewal must not throw it away.
    const superseded = (): TokenSet | null => (this.tokens && this.tokens !== held ? this.tokens : null);
    if (held) {
      try {
        const result = await auth.refresh(held.refreshToken);
        const newer = superseded();
        if (newer) return newer;
        logger.info('Evercycle token refreshed');
        // Cognito's refresh answer carries no RefreshToken: keep the one we have.
        return await this.adopt(result, result.RefreshToken ?? held.refreshToken);
      } catch (err) {
        if (!(err instanceof AuthRejectedError)) throw err;
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
    try {
      const result = await auth.signIn(credentials.username, credentials.password);
      const newer = superseded();
      if (newer) return newer;
      if (!result.RefreshToken) throw new GatewayError(502, 'Evercycle sign-in answer carried no RefreshToken');
      logger.info('signed in to Evercycle with the configured service account');
      return await this.adopt(result, result.RefreshToken);
    } catch (err) {
      if (!(err instanceof AuthRejectedError)) throw err;
      logger.error({ upstream_status: err.upstreamStatus }, 'Evercycle rejected the configured service account');
      const newer = superseded();
      if (newer) return newer;
      await this.forget();
      throw new GatewayError(401, held ? REFRESH_FAILED_MESSAGE : 'sign-in with the configured service account failed');
    }
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
    try {
      await this.options.store.save(tokens);
    } catch (err) {
      // Serving with tokens in memory beats failing the call; the next save retries.
      this.options.logger.error({ err: (err as Error).message }, 'could not persist tokens');
    }
    return tokens;
  }

  private async forget(): Promise<void> {
    this.tokens = null;
    try {
      await this.options.store.clear();
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'could not remove the token file');
    }
  }
}
