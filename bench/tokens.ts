// The fast upstream's tokens, Cognito-shaped (pure; the clock is injected).
//
// Sign-in answers AccessToken, IdToken, RefreshToken and ExpiresIn; refresh answers a new
// AccessToken + IdToken and no RefreshToken (as Cognito does). Tokens are JWT-sized
// (~1 KB each, so the gateway sends realistic headers) and every pair is distinct: the
// gateway recognises new tokens by their value, and a cluster of workers would not pick
// up a "new" token equal to the old one.
//
// Refresh accounting, for "each token refreshed once, never twice": each refresh call is logged
// with the age of the newest token at that moment. A second refresh for the same expiry
// arrives right after the first one was answered, so it finds a token that is only
// milliseconds old: any refresh of a token younger than an eighth of its lifetime is
// counted as a duplicate (no sane renewal schedule refreshes that early; the gateway's
// earliest is a quarter of the lifetime).

export interface AuthAnswer {
  AccessToken: string;
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
  TokenType: 'Bearer';
}

export type TokenCheck = 'ok' | 'expired' | 'unknown';

export interface RefreshEvent {
  /** ms since the issuer was created. */
  atMs: number;
  /** Age of the newest token when the refresh arrived, ms. */
  tokenAgeMs: number;
  lifetimeMs: number;
  duplicate: boolean;
}

export interface TokenStats {
  signIns: number;
  refreshes: number;
  duplicateRefreshes: number;
  /** Data requests that presented an expired token (answered 401). */
  expiredPresented: number;
  /** Data requests without a token this upstream issued (answered 401). */
  unknownPresented: number;
  refreshLog: RefreshEvent[];
}

interface Issued {
  accessToken: string;
  expiresAt: number;
}

const SIGNATURE = 'x'.repeat(342); // 256 bytes, base64url: an RS256 signature's size
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const MAX_LOG = 10_000;

export class TokenIssuer {
  private readonly issued = new Map<string, Issued>();
  private readonly refreshTokens = new Set<string>();
  private generation = 0;
  private newestAt = 0;
  private newestLifetimeMs = 0;
  private readonly startedAt: number;
  private stats: TokenStats = emptyStats();

  constructor(
    /** ExpiresIn of tokens issued from now on, seconds. */
    public expiresInS: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** A pair that never expires, for the load generator's own calls (direct, passthrough). */
  staticPair(): { idToken: string; accessToken: string } {
    const pair = this.pair('static');
    this.issued.set(pair.IdToken, { accessToken: pair.AccessToken, expiresAt: Number.POSITIVE_INFINITY });
    return { idToken: pair.IdToken, accessToken: pair.AccessToken };
  }

  signIn(): AuthAnswer {
    this.stats.signIns++;
    const refreshToken = `${b64url({ cty: 'JWT', enc: 'A256GCM' })}.${b64url({ gen: this.generation })}.${SIGNATURE}${SIGNATURE}`;
    this.refreshTokens.add(refreshToken);
    return { ...this.issue(), RefreshToken: refreshToken };
  }

  /** undefined: unknown refresh token (answered 400 as Cognito does). */
  refresh(refreshToken: unknown): AuthAnswer | undefined {
    if (typeof refreshToken !== 'string' || !this.refreshTokens.has(refreshToken)) return undefined;
    const now = this.now();
    const tokenAgeMs = now - this.newestAt;
    const duplicate = this.generation > 0 && tokenAgeMs < this.newestLifetimeMs / 8;
    this.stats.refreshes++;
    if (duplicate) this.stats.duplicateRefreshes++;
    if (this.stats.refreshLog.length < MAX_LOG) {
      this.stats.refreshLog.push({ atMs: now - this.startedAt, tokenAgeMs, lifetimeMs: this.newestLifetimeMs, duplicate });
    }
    return this.issue();
  }

  check(idToken: string | string[] | undefined, accessToken: string | string[] | undefined): TokenCheck {
    const entry = typeof idToken === 'string' ? this.issued.get(idToken) : undefined;
    if (!entry || entry.accessToken !== accessToken) {
      this.stats.unknownPresented++;
      return 'unknown';
    }
    if (this.now() >= entry.expiresAt) {
      this.stats.expiredPresented++;
      return 'expired';
    }
    return 'ok';
  }

  snapshot(): TokenStats {
    return { ...this.stats, refreshLog: [...this.stats.refreshLog] };
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  private issue(): AuthAnswer {
    const now = this.now();
    const pair = this.pair(String(++this.generation));
    const lifetimeMs = this.expiresInS * 1000;
    this.issued.set(pair.IdToken, { accessToken: pair.AccessToken, expiresAt: now + lifetimeMs });
    this.newestAt = now;
    this.newestLifetimeMs = lifetimeMs;
    // Expired pairs are kept (they answer "expired", not "unknown"); a run issues a few hundred at most.
    return pair;
  }

  private pair(gen: string): AuthAnswer {
    const exp = Math.floor(this.now() / 1000) + this.expiresInS;
    const claims = { sub: 'bench-service-account', iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench', gen, exp, pad: 'p'.repeat(420) };
    return {
      AccessToken: `${b64url({ kid: 'bench-access', alg: 'RS256' })}.${b64url({ ...claims, token_use: 'access' })}.${SIGNATURE}`,
      IdToken: `${b64url({ kid: 'bench-id', alg: 'RS256' })}.${b64url({ ...claims, token_use: 'id' })}.${SIGNATURE}`,
      ExpiresIn: this.expiresInS,
      TokenType: 'Bearer',
    };
  }
}

function emptyStats(): TokenStats {
  return { signIns: 0, refreshes: 0, duplicateRefreshes: 0, expiredPresented: 0, unknownPresented: 0, refreshLog: [] };
}
