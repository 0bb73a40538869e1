// Secure by default: without API keys the gateway serves loopback clients only, unless
// the operator opts out with a setting whose name says it is insecure. Pure.
import { BlockList, isIP } from 'node:net';

// Built once: isLoopbackHost runs for every request of a gateway without keys.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether HOST binds loopback only: 127.0.0.0/8, ::1 (and its IPv4-mapped forms), localhost. */
export function isLoopbackHost(host: string): boolean {
  // The addresses a local client has, without the parsing below.
  if (host === '127.0.0.1' || host === '::1' || host === '::ffff:127.0.0.1') return true;
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 0) return false; // any other name may resolve to anything
  // check() matches IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 rules.
  return LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

export type ExposureDecision =
  | { action: 'start' }
  | { action: 'warn'; message: string }
  | { action: 'refuse'; message: string };

/** Whether a gateway with these settings may start, and what to tell the operator. */
export function exposureDecision(options: { host: string; keysConfigured: boolean; insecureNoAuth: boolean; trustProxy?: string }): ExposureDecision {
  const { host, keysConfigured, insecureNoAuth } = options;
  if (keysConfigured) {
    return insecureNoAuth
      ? { action: 'warn', message: 'INSECURE_ALLOW_UNAUTHENTICATED=true has no effect: API keys are configured (API_KEYS_FILE), every client needs one' }
      : { action: 'start' };
  }
  // Without keys, "loopback clients only" is judged on the address X-Forwarded-For gives.
  // TRUST_PROXY=true takes its left-most entry, which the client writes itself behind a
  // proxy that appends (nginx's $proxy_add_x_forwarded_for): anyone could claim 127.0.0.1.
  if (!insecureNoAuth && options.trustProxy?.trim().toLowerCase() === 'true') {
    return {
      action: 'refuse',
      message:
        'TRUST_PROXY=true believes whatever address a client puts first in X-Forwarded-For, and without API keys only loopback clients are served: ' +
        'any client could claim to be 127.0.0.1. Name the proxy instead (TRUST_PROXY=127.0.0.1, or a hop count), or set API_KEYS_FILE',
    };
  }
  if (isLoopbackHost(host)) return { action: 'start' };
  if (insecureNoAuth) {
    return {
      action: 'warn',
      message:
        `INSECURE: HOST=${host} is reachable from other machines and API_KEYS_FILE is not set (INSECURE_ALLOW_UNAUTHENTICATED=true): ` +
        'ANYONE WHO REACHES THIS PORT ACTS AS THE STORED EVERCYCLE IDENTITY and can re-point it through /api/auth',
    };
  }
  return {
    action: 'refuse',
    message:
      `HOST=${host} is not a loopback address and no API keys are configured: set API_KEYS_FILE ` +
      '(create keys with `evercycle-gateway keys create`), or set INSECURE_ALLOW_UNAUTHENTICATED=true to serve without client authentication',
  };
}
