// Who may do what: pure decisions from the authenticated client and what the request
// targets. The Fastify hooks (src/server/access.ts) work out the target; nothing here
// knows about HTTP beyond method names.
//
//   admin  everything, including POST /api/auth (re-pointing the gateway's identity) and /metrics
//   write  every API with any method, and /api/list (with /, /docs and /openapi.json)
//   read   only APIs whose definition method is GET (HEAD on them too), and /api/list (idem)
//
// A key with `apis` may call only those API names, whatever its role. /health and /ready
// never need a key. A request method that does not fit the API is the proxy's 405, once
// the role allows the API at all.
import type { AccessClient } from './keys.js';

export const ROLES = ['admin', 'write', 'read'] as const;
export type Role = (typeof ROLES)[number];

export type AccessTarget =
  /** /health and /ready (and /metrics, the docs and the status page when made public). */
  | { kind: 'open' }
  /** Operator routes: /api/auth (any method), /metrics, and any route not classified otherwise. */
  | { kind: 'admin'; route: string }
  /** /api/list, and the status page, /openapi.json and /docs. */
  | { kind: 'list' }
  /** /api/<name>: `method` is the definition's method, undefined for an unknown name (answered 404). */
  | { kind: 'api'; name: string; method: string | undefined }
  /** Anything else (unknown routes, answered 404). */
  | { kind: 'other' };

export type AccessDecision = { allowed: true } | { allowed: false; message: string };

const ALLOWED: AccessDecision = { allowed: true };
const deny = (message: string): AccessDecision => ({ allowed: false, message });

/** Whether `client` may make a request to `target`. Messages name what is missing, never the key. */
export function authorize(client: AccessClient, target: AccessTarget): AccessDecision {
  const who = `API key '${client.name}' (role ${client.role})`;
  switch (target.kind) {
    case 'open':
    case 'list':
    case 'other':
      return ALLOWED;
    case 'admin':
      return client.role === 'admin' ? ALLOWED : deny(`${who} may not use ${target.route}: that needs the admin role`);
    case 'api': {
      // An unknown name is the proxy's 404 for any authenticated client: the names are public in /api/list.
      if (target.method === undefined) return ALLOWED;
      if (client.role === 'read' && target.method !== 'GET') {
        return deny(`${who} may not call '${target.name}' (a ${target.method} API): that needs the write or admin role`);
      }
      if (client.apis && !client.apis.includes(target.name)) {
        return deny(`${who} may not call '${target.name}': the key is limited to ${client.apis.join(', ')}`);
      }
      return ALLOWED;
    }
  }
}
