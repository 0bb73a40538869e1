// What a bulk command adds to a gateway's refusal so the user knows what to do (pure).
import type { GatewayAnswer } from '../gateway-client.js';
import { isPlainObject } from './flatten.js';

export const SIGN_IN_HINT = '(sign the gateway in with `evercycle-gateway login`)';

/** The gateway holds no Evercycle session (401 "not authenticated: POST /api/auth first"). */
export function needsSignIn(answer: GatewayAnswer | undefined): boolean {
  if (answer?.status !== 401) return false;
  const message = isPlainObject(answer.body) ? answer.body.message : undefined;
  return typeof message === 'string' && message.includes('POST /api/auth');
}

/** ` (sign the gateway in ...)` for such an answer, else ''. */
export function signInHint(answer: GatewayAnswer | undefined): string {
  return needsSignIn(answer) ? ` ${SIGN_IN_HINT}` : '';
}

/**
 * The per-field problems of a refusal as one line: `errors` ([{field, message}], the
 * simulator's and Evercycle's shape) or `details` (the gateway's: the upstream answer
 * `{message, errors}` it passes on, an array of problems, or an object of field ->
 * message). '' when there are none.
 */
export function fieldProblems(answer: GatewayAnswer | undefined): string {
  if (!answer) return '';
  const parts = problemsIn(answer.body, 0);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function problemsIn(body: unknown, depth: number): string[] {
  if (!isPlainObject(body) || depth > 3) return [];
  const parts: string[] = [];
  if (Array.isArray(body.errors)) parts.push(...listed(body.errors));
  const details = body.details;
  if (Array.isArray(details)) parts.push(...listed(details));
  else if (isPlainObject(details)) {
    if ('errors' in details || 'details' in details) parts.push(...problemsIn(details, depth + 1));
    else if (!('message' in details)) for (const [field, message] of Object.entries(details)) parts.push(`${field}: ${typeof message === 'string' ? message : JSON.stringify(message)}`);
  } else if (typeof details === 'string' && details !== '') parts.push(details);
  return parts;
}

function listed(items: readonly unknown[]): string[] {
  const parts: string[] = [];
  for (const e of items) {
    if (typeof e === 'string') parts.push(e);
    else if (isPlainObject(e)) {
      const field = [e.field, e.path, e.instancePath].find((f): f is string => typeof f === 'string') ?? '';
      const message = typeof e.message === 'string' ? e.message : JSON.stringify(e);
      parts.push(field ? `${field}: ${message}` : message);
    }
  }
  return parts;
}
