// The Evercycle API simulator: an in-memory stand-in for https://api.evercycle.io that
// the gateway and the tests run against, also shipped as an offline sandbox. It follows
// the documented API: Cognito-shaped sign-in and refresh, and every data endpoint behind
// the `Authorization: <IdToken>` + `access-token: <AccessToken>` header pair.
// Each simulator owns all of its state; any number can run in one process.
// Faults (latency, errors, 429, drops, slow bodies, sign-in lockout) can be injected per
// endpoint, programmatically through `faults` or over HTTP with `control: true`.
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { AuthService } from './auth.js';
import { CallCounter, type FaultCounts } from './calls.js';
import { DEMO_ACCOUNT } from './catalog.js';
import { FaultRegistry, type FaultController } from './faults/registry.js';
import type { FaultSpec } from './faults/spec.js';
import { buildSeed } from './seed.js';
import { Store } from './store.js';

export { DEMO_ACCOUNT };
export { CONTROL_PREFIX, ENDPOINT_KEYS, type EndpointKey } from './endpoints.js';
export { ALL_ENDPOINTS, type FaultController } from './faults/registry.js';
export type { ErrorStatus, FaultSpec, LockoutPolicy } from './faults/spec.js';
export type { FaultCounts } from './calls.js';

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
  /** Clock in ms, default Date.now (tests may inject). Also dates Retry-After and times lockouts. */
  now?: () => number;
  /** Register the HTTP control surface under /_simulator/ (no token needed: never expose it). Default false: those paths are a plain 404. */
  control?: boolean;
  /** Seed of the PRNG deciding which requests get faults, for reproducible runs; default random. */
  faultSeed?: number;
  /** Faults in force from the start, by target ('*' or an endpoint key), as faults.set() takes them. */
  faults?: Record<string, FaultSpec>;
}

export interface Simulator {
  app: FastifyInstance;
  /** Default port 0 (any free port), host 127.0.0.1; resolves the base URL, e.g. http://127.0.0.1:41234. */
  listen(opts?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
  /** Calls received per endpoint, keyed "METHOD /route/pattern", e.g. "GET /v1/asset/:id", faulted ones included. */
  calls(): Record<string, number>;
  /** Per endpoint, how those calls were answered: for real or by which fault (real + faulted = calls()). */
  faultCounts(): Record<string, FaultCounts>;
  /** Resets calls() and faultCounts(). */
  resetCalls(): void;
  /** Every issued access/id token answers 401 from now on; refresh tokens stay valid. */
  revokeAllTokens(): void;
  readonly demo: { username: string; password: string };
  /** Fault injection and the sign-in lockout. */
  readonly faults: FaultController;
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const tokenTtlS = options.tokenTtlS ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isSafeInteger(tokenTtlS) || tokenTtlS <= 0) {
    throw new RangeError(`tokenTtlS must be a positive integer number of seconds, got ${String(tokenTtlS)}`);
  }
  const faultSeed = options.faultSeed ?? randomInt(2 ** 32);
  if (!Number.isSafeInteger(faultSeed)) throw new RangeError(`faultSeed must be an integer, got ${String(faultSeed)}`);
  const now = options.now ?? Date.now;
  const counter = new CallCounter();
  const auth = new AuthService({ tokenTtlS, rotateRefreshTokens: options.rotateRefreshTokens ?? false, now });
  const store = new Store(buildSeed(), now);
  const faults = new FaultRegistry(faultSeed, now);
  for (const [target, spec] of Object.entries(options.faults ?? {})) faults.set(target, spec);
  const app = buildApp({ store, auth, counter, faults, control: options.control ?? false, logger: options.logger ?? false });

  let closing: Promise<void> | undefined;
  return {
    app,
    listen: ({ port = DEFAULT_PORT, host = DEFAULT_HOST } = {}) => app.listen({ port, host }),
    close: () => (closing ??= app.close()),
    calls: () => counter.snapshot(),
    faultCounts: () => counter.faultCounts(),
    resetCalls: () => counter.reset(),
    revokeAllTokens: () => auth.revokeAllTokens(),
    demo: { username: DEMO_ACCOUNT.username, password: DEMO_ACCOUNT.password },
    faults: publicController(faults),
  };
}

/** Only the FaultController methods, so callers cannot reach the registry's internals. */
function publicController(registry: FaultRegistry): FaultController {
  return {
    set: (target, spec) => registry.set(target, spec),
    clear: (target) => registry.clear(target),
    get: () => registry.get(),
    setSigninLockout: (opts) => registry.setSigninLockout(opts),
    signinLockout: () => registry.signinLockout(),
    lockedAccounts: () => registry.lockedAccounts(),
  };
}
