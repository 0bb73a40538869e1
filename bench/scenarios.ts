// What each load scenario requests from each target (pure).
import type { LoadJob } from './load.js';

export type Target = 'direct' | 'passthrough' | 'gateway';
export type LoadScenario = 'get-1kb' | 'get-300kb' | 'post-2kb';

export interface ScenarioSpec {
  name: LoadScenario;
  title: string;
  method: 'GET' | 'POST';
  /** Path through the gateway. */
  gatewayPath: string;
  /** The matching upstream path (direct and passthrough). */
  upstreamPath: string;
  withBody: boolean;
}

export const LOAD_SCENARIOS: readonly ScenarioSpec[] = [
  { name: 'get-1kb', title: 'GET one asset (~1 KB)', method: 'GET', gatewayPath: '/api/get-asset-id/42', upstreamPath: '/v1/asset/42', withBody: false },
  { name: 'get-300kb', title: 'GET a page of 500 assets (~300 KB)', method: 'GET', gatewayPath: '/api/get-all?per_page=500', upstreamPath: '/v1/asset?per_page=500', withBody: false },
  { name: 'post-2kb', title: 'POST create (~2 KB body)', method: 'POST', gatewayPath: '/api/create', upstreamPath: '/v1/asset/create', withBody: true },
];

export const TARGETS: readonly Target[] = ['direct', 'passthrough', 'gateway'];

export interface JobContext {
  /** Base URL of the target. */
  url: string;
  /** The upstream's static token pair: direct and passthrough calls carry it, as the gateway's upstream calls carry its own. */
  token: { idToken: string; accessToken: string };
  createBody: string;
  connections: number;
}

export function jobFor(spec: ScenarioSpec, target: Target, ctx: JobContext, durationS: number, rate?: number): LoadJob {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target !== 'gateway') {
    headers.authorization = ctx.token.idToken;
    headers['access-token'] = ctx.token.accessToken;
  }
  if (spec.withBody) headers['content-type'] = 'application/json';
  return {
    url: ctx.url + (target === 'gateway' ? spec.gatewayPath : spec.upstreamPath),
    method: spec.method,
    headers,
    body: spec.withBody ? ctx.createBody : undefined,
    connections: ctx.connections,
    durationS,
    rate,
  };
}

export function scenarioSpec(name: LoadScenario): ScenarioSpec {
  return LOAD_SCENARIOS.find((s) => s.name === name)!;
}
