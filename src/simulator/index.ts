// The Evercycle API simulator: an in-memory stand-in for https://api.evercycle.io that
// the gateway and the tests run against, also shipped as an offline sandbox. It follows
// the documented API: Cognito-shaped sign-in and refresh, and every data endpoint behind
// the `Authorization: <IdToken>` + `access-token: <AccessToken>` header pair.
// Each simulator owns all of its state; any number can run in one process.
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { AuthService } from './auth.js';
import { CallCounter } from './calls.js';
import { DEMO_ACCOUNT } from './catalog.js';
import { buildSeed } from './seed.js';
import { Store } from './store.js';

export { DEMO_ACCOUNT };

/** Lifetime of issued access and id tokens, in seconds (Cognito's default). */
const DEFAULT_TOKEN_TTL_S = 3600;
const DEFAULT_PORT = 0;
const DEFAULT_HOST = '127.0.0.1';

export interface SimulatorOptions {
  /** ExpiresIn of issued tokens, in seconds; default 3600. */
  tokenTtlS?: number;
  /** Default false: like Cognito, refresh answers carry no new RefreshToken. */
  rotateRefreshTokens?: boolean;
  /** Passed to Fastify (a pino logger instance, or logger options); default false. */
  logger?: boolean | import('pino').Logger | object;
  /** Clock in ms, default Date.now (tests may inject). */
  now?: () => number;
}

export interface Simulator {
  app: FastifyInstance;
  /** Default port 0 (any free port), host 127.0.0.1; resolves the base URL, e.g. http://127.0.0.1:41234. */
  listen(opts?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
  /** Calls received per endpoint, keyed "METHOD /route/pattern", e.g. "GET /v1/asset/:id". */
  calls(): Record<string, number>;
  resetCalls(): void;
  /** Every issued access/id token answers 401 from now on; refresh tokens stay valid. */
  revokeAllTokens(): void;
  readonly demo: { username: string; password: string };
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const tokenTtlS = options.tokenTtlS ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isSafeInteger(tokenTtlS) || tokenTtlS <= 0) {
    throw new RangeError(`tokenTtlS must be a positive integer number of seconds, got ${String(tokenTtlS)}`);
  }
  const now = options.now ?? Date.now;
  const counter = new CallCounter();
  const auth = new AuthService({ tokenTtlS, rotateRefreshTokens: options.rotateRefreshTokens ?? false, now });
  const store = new Store(buildSeed(), now);
  const app = buildApp({ store, auth, counter, logger: options.logger ?? false });

  let closing: Promise<void> | undefined;
  return {
    app,
    listen: ({ port = DEFAULT_PORT, host = DEFAULT_HOST } = {}) => app.listen({ port, host }),
    close: () => (closing ??= app.close()),
    calls: () => counter.snapshot(),
    resetCalls: () => counter.reset(),
    revokeAllTokens: () => auth.revokeAllTokens(),
    demo: { username: DEMO_ACCOUNT.username, password: DEMO_ACCOUNT.password },
  };
}
