// Every metric the gateway exports, in one place: names, help, labels, buckets. One
// GatewayMetrics per gateway, with its own Registry (never prom-client's global one), so
// two gateways in one process count apart. The upstream client, the token manager and the
// definitions report through plain observer interfaces, so prom-client stays in this
// folder; the token expiry and the circuit state are read when Prometheus scrapes.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReloadResult } from '../definitions/live.js';
import type { TokenObserver } from '../tokens/manager.js';
import type { BreakerState } from '../upstream/breaker.js';
import type { UpstreamObserver } from '../upstream/client.js';
import { outcomeLabel, UNKNOWN } from './labels.js';
import { processRegistry } from './process.js';

/**
 * Latency buckets in seconds, the same for the gateway and the upstream so the two compare
 * bucket by bucket: from 5 ms (a refused request, a fast lookup) to 30 s (the default
 * upstream timeout), and 60 s for calls that retried after slow tries.
 */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const CIRCUIT_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];


export interface GatewayMetricsOptions {
  version: string;
  /** 'simulator' or the upstream's origin: never a path, user name or password. */
  upstream: string;
  /** Seconds until the held token expires, null without one. Read at scrape time. */
  tokenExpiresInS: () => number | null;
  /** Read at scrape time. */
  circuitState: () => BreakerState;
  /** With EVERCYCLE_REDIS_URL: whether Redis is reachable now. Read at scrape time; no metric without Redis. */
  redisUp?: (() => boolean) | undefined;
}

/** A request the gateway answered (or whose client went away: status 499). Values must be bounded (labels.ts). */
export interface HttpRequestLabels {
  api: string;
  method: string;
  status: string;
}

export class GatewayMetrics {
  /** The gateway's metrics and the process metrics, as served at /metrics. */
  readonly registry: Registry;
  private readonly httpRequests: Counter<'api' | 'method' | 'status'>;
  private readonly httpDuration: Histogram<'api' | 'method'>;
  private readonly upstreamDuration: Histogram<'operation' | 'outcome'>;
  private readonly upstreamRetries: Counter<'operation'>;
  private readonly refreshes: Counter<'result'>;
  private readonly signIns: Counter<'result' | 'source'>;
  private readonly reloads: Counter<'result'>;
  private readonly circuitOpens: Counter;

  constructor(options: GatewayMetricsOptions) {
    const own = new Registry();
    const registers = [own];
    const name = (suffix: string): string => `evercycle_gateway_${suffix}`;

    new Gauge({
      name: name('info'),
      help: 'Always 1: the gateway version and its upstream (simulator or the base URL origin).',
      labelNames: ['version', 'upstream'],
      registers,
    }).set({ version: options.version, upstream: options.upstream }, 1);

    this.httpRequests = new Counter({
      name: name('http_requests_total'),
      help: 'Requests answered by the gateway, by API (or route), method and status; 499: the client went away first.',
      labelNames: ['api', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: name('http_request_duration_seconds'),
      help: 'Time from receiving a request to the end of its answer, upstream calls and retries included.',
      labelNames: ['api', 'method'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: name('upstream_request_duration_seconds'),
      help: 'One try of an upstream call (every retry is a try), by operation (the API name, auth:signin, auth:refresh) and outcome (2xx..5xx, timeout, unavailable, aborted).',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.upstreamRetries = new Counter({
      name: name('upstream_retries_total'),
      help: 'Upstream tries that repeated a failed one.',
      labelNames: ['operation'],
      registers,
    });
    this.refreshes = new Counter({
      name: name('token_refreshes_total'),
      help: 'Evercycle token refreshes that went upstream, by result.',
      labelNames: ['result'],
      registers,
    });
    this.signIns = new Counter({
      name: name('signins_total'),
      help: 'Evercycle sign-ins that went upstream, by result and source (service_account, or client: POST /api/auth).',
      labelNames: ['result', 'source'],
      registers,
    });
    new Gauge({
      name: name('token_expires_in_seconds'),
      help: 'Seconds until the held Evercycle token expires (negative once expired); no sample while none is held.',
      registers,
      collect() {
        const seconds = options.tokenExpiresInS();
        if (seconds === null) this.remove();
        else this.set(seconds);
      },
    });
    new Gauge({
      name: name('circuit_state'),
      help: 'Upstream circuit breaker: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
      collect() {
        const current = options.circuitState();
        for (const state of CIRCUIT_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    const { redisUp } = options;
    if (redisUp) {
      new Gauge({
        name: name('redis_up'),
        help: 'Whether the Redis shared by the gateway instances (EVERCYCLE_REDIS_URL) is reachable: 1 or 0.',
        registers,
        collect() {
          this.set(redisUp() ? 1 : 0);
        },
      });
    }
    this.circuitOpens = new Counter({
      name: name('circuit_opens_total'),
      help: 'Times the upstream circuit breaker opened (a probe that fails reopens it, and counts again).',
      registers,
    });
    this.reloads = new Counter({
      name: name('definitions_reloads_total'),
      help: 'Reloads of the API definitions folder, by result (failure: the folder was invalid, the previous set stayed live).',
      labelNames: ['result'],
      registers,
    });

    // Known label sets start at 0, so a first failure shows as an increase, not a new series.
    for (const result of ['success', 'failure']) {
      this.refreshes.inc({ result }, 0);
      this.reloads.inc({ result }, 0);
      for (const source of ['service_account', 'client']) this.signIns.inc({ result, source }, 0);
    }
    this.registry = Registry.merge([own, processRegistry()]);
  }

  httpRequest(labels: HttpRequestLabels, seconds: number): void {
    this.httpRequests.inc(labels);
    this.httpDuration.observe({ api: labels.api, method: labels.method }, seconds);
  }

  readonly upstreamObserver: UpstreamObserver = {
    onTry: ({ operation = UNKNOWN, attempt, durationMs, result }) => {
      this.upstreamDuration.observe({ operation, outcome: outcomeLabel(result) }, durationMs / 1000);
      if (attempt > 1) this.upstreamRetries.inc({ operation });
    },
  };

  readonly tokenObserver: TokenObserver = {
    onRefresh: (result) => this.refreshes.inc({ result }),
    onSignIn: (result, source) => this.signIns.inc({ result, source }),
  };

  circuitOpened(): void {
    this.circuitOpens.inc();
  }

  definitionsReloaded(result: ReloadResult): void {
    this.reloads.inc({ result: result.ok ? 'success' : 'failure' });
  }
}
