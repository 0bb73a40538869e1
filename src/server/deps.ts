// What the route plugins receive. Passed explicitly: no module-level state, so two
// gateways can run in one process.
import type { KeyRing } from '../access/keys.js';
import type { Settings } from '../config.js';
import type { DefinitionsStatus } from '../definitions/live.js';
import type { DefinitionSet } from '../definitions/types.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import type { Redis } from '../redis/connection.js';
import type { TokenManager } from '../tokens/manager.js';
import type { UpstreamBreaker } from '../upstream/breaker.js';
import type { UpstreamClient } from '../upstream/client.js';

export interface GatewayDeps {
  settings: Settings;
  /** The live definition set (a function, so a reload can swap it). */
  definitions: () => DefinitionSet;
  /** Where the definitions come from and how the last reload went (status page). */
  definitionsStatus?: () => DefinitionsStatus;
  tokens: TokenManager;
  upstream: UpstreamClient;
  breaker: UpstreamBreaker;
  /** "simulator" when the built-in simulator is used, else the upstream base URL. */
  upstreamLabel: string;
  /** Client API keys to enforce (API_KEYS_FILE); null or unset: no client authentication. */
  keys?: KeyRing | null;
  /** Prometheus metrics: recorded by the routes' hooks, served at GET /metrics. */
  metrics: GatewayMetrics;
  /** With EVERCYCLE_REDIS_URL: whether the shared token store is reachable now. */
  redis?: (() => 'up' | 'down') | undefined;
  /** With EVERCYCLE_REDIS_URL: why the shared tokens cannot be read here, or null. */
  sharedTokensProblem?: (() => string | null) | undefined;
  /** With EVERCYCLE_REDIS_URL: instances sharing the Redis with another EVERCYCLE_SECRET_KEY (a session of their own each). */
  instancesWithOtherKeys?: (() => number) | undefined;
  /** With EVERCYCLE_REDIS_URL and rate limits on: the connection the limits are counted in (shared by every instance). */
  rateLimitRedis?: Redis | undefined;
}
