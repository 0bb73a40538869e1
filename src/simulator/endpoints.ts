// Every endpoint the simulator serves, keyed "METHOD /route/pattern" as calls() counts
// them. Fault targets are checked against this list, so a misspelt target is refused at
// once instead of silently never firing; app.ts refuses to start with a route missing here.

export const ENDPOINT_KEYS = [
  'POST /v1/auth/signin',
  'POST /v1/auth/refresh',
  'GET /v1/asset',
  'GET /v1/asset/org/:org_id',
  'GET /v1/asset/:id',
  'POST /v1/asset/create',
  'PUT /v1/asset/:id',
  'POST /v1/asset/confirm',
  'POST /v1/asset/request',
  'PUT /v1/pricebook/:id/:grade',
  'GET /v1/programs',
  'GET /v1/tracking',
] as const;

export type EndpointKey = (typeof ENDPOINT_KEYS)[number];

const KNOWN: ReadonlySet<string> = new Set(ENDPOINT_KEYS);

export const isEndpointKey = (key: string): key is EndpointKey => KNOWN.has(key);

/**
 * Reserved path prefix of the control surface (fault injection, call counters). Routes
 * under it are never counted and never faulted, and exist only with `control: true`.
 */
export const CONTROL_PREFIX = '/_simulator/';
