// Request bodies: every body arrives as raw bytes (so what we forward is exactly what the
// client sent, and a replay sends the same bytes); this module decides whether it is JSON.
import { GatewayError } from '../errors.js';

export interface JsonBody {
  /** The bytes as received, or undefined when the request had no body. */
  raw: Buffer | undefined;
  /** The parsed value (may be a falsy JSON value such as 0, false or null). */
  value: unknown;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPE.test(contentType);
}

/**
 * Read a request body as JSON. A body declared as JSON must parse (400 otherwise).
 * A body with another or no declared type is accepted when it parses as JSON, because
 * `curl -d '{...}'` labels JSON as a form; anything else is 415.
 */
export function readJsonBody(body: unknown, contentType: string | undefined, options: { nonJsonStatus?: 400 | 415 } = {}): JsonBody {
  if (!Buffer.isBuffer(body) || body.length === 0) return { raw: undefined, value: undefined };
  const text = body.toString('utf8');
  try {
    return { raw: body, value: JSON.parse(text) as unknown };
  } catch (err) {
    if (isJsonContentType(contentType) || contentType === undefined) {
      // Never JSON.parse's own message: it quotes the text around the error, which can be
      // a password (`{"password": hunter2}` answered `..."password": hunter2" is not valid JSON`).
      const position = /at position (\d+)/.exec((err as Error).message)?.[1];
      throw new GatewayError(400, `request body is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`);
    }
    throw new GatewayError(options.nonJsonStatus ?? 415, `request body must be JSON (got content-type ${contentType.split(';')[0]})`);
  }
}
