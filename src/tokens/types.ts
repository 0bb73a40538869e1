// Token state shared by the token manager and its stores.
import type { AuthResult } from '../upstream/auth-result.js';

export interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** Absolute expiry, epoch ms, computed from ExpiresIn when the token was obtained. */
  expiresAt: number;
  obtainedAt: number;
  /**
   * With a shared store (Redis): when Redis stored these tokens, by its own clock (ms). The
   * instances compare this, not obtainedAt, to tell which tokens are newer: their own
   * clocks may disagree.
   */
  storedAt?: number;
}

/** Where tokens survive restarts. The file store is the default; others plug in here. */
export interface TokenStore {
  /** The stored tokens, or null when there are none or they cannot be read. Never throws. */
  load(): Promise<TokenSet | null>;
  save(tokens: TokenSet): Promise<void>;
  clear(): Promise<void>;
  /** Resolves once every save or clear asked for so far has completed (shutdown). */
  flush(): Promise<void>;
}

/** The upstream auth endpoints, as the token manager needs them. Implemented in upstream/auth-api.ts. */
export interface AuthApi {
  /** `requestId`: the client request this sign-in serves (POST /api/auth), sent upstream as X-Request-Id. */
  signIn(username: string, password: string, requestId?: string): Promise<AuthResult>;
  refresh(refreshToken: string): Promise<AuthResult>;
}
