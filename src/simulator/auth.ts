// Accounts and tokens, shaped like Amazon Cognito (which the real Evercycle API fronts):
// sign-in issues an AccessToken, an IdToken and a RefreshToken; refresh issues a new
// AccessToken + IdToken pair. Every data request must carry one pair from the same
// sign-in or refresh, unexpired. Tokens are JWT-shaped (header.payload.signature, with
// `exp` in the payload so clients can read the expiry) but the signature is random
// bytes: a token is valid because this service issued it and remembers it, never
// because of what it says. No I/O here; the clock is injected.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { ACCOUNT_PROFILES, type AccountProfile } from './catalog.js';
import { AUTH_MESSAGES, GUARD_MESSAGES } from './errors.js';

/** Lifetime of a refresh token, in ms: Cognito's default of 30 days. */
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * How long an expired access/id pair is remembered, in ms, so that it keeps answering
 * "expired" rather than the vaguer "Unauthorized" for an hour before being forgotten.
 */
const EXPIRED_SESSION_GRACE_MS = 60 * 60 * 1000;
/**
 * Most sessions and refresh tokens kept at once. A sandbox hammered with sign-ins would
 * otherwise grow without bound; beyond the cap the oldest are forgotten first.
 */
const MAX_SESSIONS = 50_000;
const MAX_REFRESH_TOKENS = 50_000;
/** Bytes of the random "signature": an RS256 signature is 256 bytes, so tokens are real-sized. */
const SIGNATURE_BYTES = 256;

const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EvRcYSiM1';
const CLIENT_ID = '4evercyclesimulator0client';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const ACCESS_HEADER = b64url({ kid: 'evercycle-simulator-access-1', alg: 'RS256' });
const ID_HEADER = b64url({ kid: 'evercycle-simulator-id-1', alg: 'RS256' });
const REFRESH_HEADER = b64url({ cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP' });
const BEARER = /^bearer\s/i;

/** Who is calling, as established by the token pair. */
export interface Principal {
  readonly username: string;
  readonly sub: string;
  readonly organizationId: number;
  /** 'all': sees every organization (service provider); 'own': only its organization. */
  readonly visibility: 'all' | 'own';
}

export interface AuthenticationResult {
  AccessToken: string;
  ExpiresIn: number;
  IdToken: string;
  RefreshToken?: string;
  TokenType: 'Bearer';
}

export type VerifyResult = { ok: true; principal: Principal } | { ok: false; message: string };
export type RefreshResult = { ok: true; result: AuthenticationResult } | { ok: false; message: string };

export interface AuthOptions {
  /** ExpiresIn of issued access and id tokens, in seconds. */
  tokenTtlS: number;
  /** Whether a refresh answers with a new RefreshToken and retires the one it used. */
  rotateRefreshTokens: boolean;
  /** Clock in ms. */
  now: () => number;
  accounts?: readonly AccountProfile[];
}

interface Session {
  accessToken: string;
  expiresAtMs: number;
  principal: Principal;
}

interface RefreshGrant {
  principal: Principal;
  expiresAtMs: number;
  /** Seconds; the sign-in time carried into every token refreshed from it. */
  authTimeS: number;
}

interface AccountEntry {
  principal: Principal;
  passwordDigest: Buffer;
}

const digest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

export class AuthService {
  private readonly accounts = new Map<string, AccountEntry>();
  /** Live access/id pairs keyed by IdToken, in issue order (so also in expiry order). */
  private readonly sessions = new Map<string, Session>();
  /** Refresh tokens in issue order (so also in expiry order). */
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private readonly ttlMs: number;
  /** Compared against when the username is unknown, so both failures take as long. */
  private readonly decoyDigest = digest(randomUUID());

  constructor(private readonly options: AuthOptions) {
    this.ttlMs = options.tokenTtlS * 1000;
    for (const a of options.accounts ?? ACCOUNT_PROFILES) {
      const principal: Principal = Object.freeze({ username: a.username, sub: a.sub, organizationId: a.organizationId, visibility: a.visibility });
      this.accounts.set(a.username.toLowerCase(), { principal, passwordDigest: digest(a.password) });
    }
  }

  /** Usernames are matched case-insensitively (they are e-mail addresses); passwords exactly. */
  signIn(username: string, password: string): AuthenticationResult | null {
    const entry = this.accounts.get(username.toLowerCase());
    const matches = timingSafeEqual(digest(password), entry ? entry.passwordDigest : this.decoyDigest);
    if (!entry || !matches) return null;
    const nowMs = this.options.now();
    const authTimeS = Math.floor(nowMs / 1000);
    return { ...this.issuePair(entry.principal, nowMs, authTimeS), RefreshToken: this.issueRefreshToken(entry.principal, nowMs, authTimeS) };
  }

  refresh(refreshToken: string): RefreshResult {
    const grant = this.refreshGrants.get(refreshToken);
    if (!grant) return { ok: false, message: AUTH_MESSAGES.invalidRefreshToken };
    const nowMs = this.options.now();
    if (nowMs >= grant.expiresAtMs) {
      this.refreshGrants.delete(refreshToken);
      return { ok: false, message: AUTH_MESSAGES.expiredRefreshToken };
    }
    const pair = this.issuePair(grant.principal, nowMs, grant.authTimeS);
    if (!this.options.rotateRefreshTokens) return { ok: true, result: pair };
    // Rotation: the used token is retired at once, so presenting it again answers 401.
    this.refreshGrants.delete(refreshToken);
    return { ok: true, result: { ...pair, RefreshToken: this.issueRefreshToken(grant.principal, nowMs, grant.authTimeS) } };
  }

  /**
   * Check the two headers of a data request. `authorization` must be the raw IdToken and
   * `accessToken` the AccessToken issued together with it, and the pair must be unexpired.
   */
  verify(authorization: string | string[] | undefined, accessToken: string | string[] | undefined): VerifyResult {
    if (authorization === undefined || authorization === '') return { ok: false, message: GUARD_MESSAGES.missingAuthorization };
    if (accessToken === undefined || accessToken === '') return { ok: false, message: GUARD_MESSAGES.missingAccessToken };
    if (typeof authorization !== 'string' || typeof accessToken !== 'string') return { ok: false, message: GUARD_MESSAGES.unauthorized };
    const session = this.sessions.get(authorization);
    if (!session) {
      // The real API takes the raw token; say so rather than a bare 401 for the common mistake.
      return { ok: false, message: BEARER.test(authorization) ? GUARD_MESSAGES.bearerScheme : GUARD_MESSAGES.unauthorized };
    }
    if (session.accessToken !== accessToken) return { ok: false, message: GUARD_MESSAGES.mismatchedPair };
    if (this.options.now() >= session.expiresAtMs) return { ok: false, message: GUARD_MESSAGES.expired };
    return { ok: true, principal: session.principal };
  }

  /** Forget every access/id pair (they answer 401 from now on); refresh tokens stay valid. */
  revokeAllTokens(): void {
    this.sessions.clear();
  }

  private issuePair(principal: Principal, nowMs: number, authTimeS: number): AuthenticationResult {
    this.prune(nowMs);
    const iat = Math.floor(nowMs / 1000);
    const expiresAtMs = nowMs + this.ttlMs;
    const exp = Math.floor(expiresAtMs / 1000);
    const originJti = randomUUID();
    const accessToken = signLike(ACCESS_HEADER, {
      sub: principal.sub,
      iss: ISSUER,
      client_id: CLIENT_ID,
      origin_jti: originJti,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: authTimeS,
      exp,
      iat,
      jti: randomUUID(),
      username: principal.sub,
    });
    const idToken = signLike(ID_HEADER, {
      sub: principal.sub,
      email_verified: true,
      iss: ISSUER,
      'cognito:username': principal.sub,
      origin_jti: originJti,
      aud: CLIENT_ID,
      token_use: 'id',
      auth_time: authTimeS,
      'custom:organization_id': String(principal.organizationId),
      exp,
      iat,
      jti: randomUUID(),
      email: principal.username,
    });
    this.sessions.set(idToken, { accessToken, expiresAtMs, principal });
    return { AccessToken: accessToken, ExpiresIn: this.options.tokenTtlS, IdToken: idToken, TokenType: 'Bearer' };
  }

  private issueRefreshToken(principal: Principal, nowMs: number, authTimeS: number): string {
    const token = [REFRESH_HEADER, rand(256), rand(12), rand(384), rand(16)].join('.');
    this.refreshGrants.set(token, { principal, expiresAtMs: nowMs + REFRESH_TOKEN_TTL_MS, authTimeS });
    return token;
  }

  /**
   * Drop what can no longer be used, oldest first. Both maps are in expiry order (fixed
   * lifetimes, issued in clock order), so this stops at the first live entry: O(1) amortized.
   */
  private prune(nowMs: number): void {
    for (const [key, s] of this.sessions) {
      if (this.sessions.size < MAX_SESSIONS && s.expiresAtMs + EXPIRED_SESSION_GRACE_MS > nowMs) break;
      this.sessions.delete(key);
    }
    for (const [key, g] of this.refreshGrants) {
      if (this.refreshGrants.size < MAX_REFRESH_TOKENS && g.expiresAtMs > nowMs) break;
      this.refreshGrants.delete(key);
    }
  }
}

const rand = (bytes: number): string => randomBytes(bytes).toString('base64url');

function signLike(header: string, payload: Record<string, unknown>): string {
  return `${header}.${b64url(payload)}.${rand(SIGNATURE_BYTES)}`;
}
