// Label values that stay bounded whatever clients send. A label value that comes from the
// request (a made-up API name, a method like PROPFIND) would create a new time series per
// distinct value: a client could exhaust the gateway's memory and Prometheus's with them.
import type { TryResult } from '../upstream/client.js';

/** For everything the gateway cannot name: unknown API names, unmatched routes. */
export const UNKNOWN = 'unknown';

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

/** An HTTP status as a label: always three digits, whatever a broken peer sends. */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : UNKNOWN;
}

/** How an upstream try ended: its status class (`2xx` ... `5xx`), `timeout`, `unavailable` or `aborted`. */
export function outcomeLabel(result: TryResult): string {
  if (typeof result !== 'number') return result;
  return result >= 100 && result <= 599 ? `${Math.floor(result / 100)}xx` : UNKNOWN;
}
