// Request bodies: every body arrives as raw bytes (so what we forward is exactly what the
// client sent, and a replay sends the same bytes); this module decides whether it is JSON.
// Parsing is guarded: nesting deeper than the limit is refused before the parser runs;
// `__proto__` or `constructor.prototype` keys anywhere in the value are refused (400), so a
// body that could pollute a prototype here or upstream is never used nor forwarded; and so
// is a body repeating a key in any object, because what we validated (JSON.parse keeps the
// last value) need not be what the upstream acts on (it may keep the first).
import secureJson from 'secure-json-parse';
import { GatewayError } from '../errors.js';
import { scanJson } from './security/json-scan.js';

export interface JsonBody {
  /** The bytes as received, or undefined when the request had no body. */
  raw: Buffer | undefined;
  /** The parsed value (may be a falsy JSON value such as 0, false or null). */
  value: unknown;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const SECURE_PARSE = { protoAction: 'error', constructorAction: 'error' } as const;
/** What secure-json-parse throws (a SyntaxError, like JSON.parse) for either forbidden key. */
const FORBIDDEN_KEY_ERROR = 'Object contains forbidden prototype property';

export interface JsonBodyOptions {
  /** Deepest nesting of arrays/objects accepted (MAX_JSON_DEPTH); deeper is a 400. */
  maxDepth: number;
  /** Status for a body that is neither declared nor parsable as JSON (default 415). */
  nonJsonStatus?: 400 | 415;
}

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPE.test(contentType);
}

/**
 * Read a request body as JSON. A body declared as JSON must parse (400 otherwise).
 * A body with another or no declared type is accepted when it parses as JSON, because
 * `curl -d '{...}'` labels JSON as a form; anything else is 415.
 */
export function readJsonBody(body: unknown, contentType: string | undefined, options: JsonBodyOptions): JsonBody {
  if (!Buffer.isBuffer(body) || body.length === 0) return { raw: undefined, value: undefined };
  const scan = scanJson(body, options.maxDepth);
  if (scan.tooDeep) {
    throw new GatewayError(400, `request body is nested too deeply (more than ${options.maxDepth} levels of arrays/objects)`);
  }
  const value = parse(body.toString('utf8'), contentType, options);
  // Only after parsing: the scan's duplicate-key answer holds for valid JSON only, and
  // invalid JSON gets the parser's answer (400 or 415). The message names the key, never a value.
  if (scan.duplicateKey !== undefined) {
    throw new GatewayError(400, `request body has a duplicate key ${quoteKey(scan.duplicateKey)}`);
  }
  return { raw: body, value };
}

function parse(text: string, contentType: string | undefined, options: JsonBodyOptions): unknown {
  try {
    // secure-json-parse skips a leading byte order mark, JSON.parse and most upstreams do not:
    // such a body would be judged as one thing here and read as another (or refused) upstream.
    if (text.charCodeAt(0) === 0xfeff) JSON.parse(text);
    return secureJson.parse(text, null, SECURE_PARSE) as unknown;
  } catch (err) {
    if ((err as Error).message === FORBIDDEN_KEY_ERROR) {
      throw new GatewayError(400, 'request body must not contain a "__proto__" key or a "constructor" object with a "prototype" key');
    }
    if (isJsonContentType(contentType) || contentType === undefined) {
      // Never JSON.parse's own message: it quotes the text around the error, which can be
      // a password (`{"password": hunter2}` answered `..."password": hunter2" is not valid JSON`).
      const position = /at position (\d+)/.exec((err as Error).message)?.[1];
      throw new GatewayError(400, `request body is not valid JSON${position === undefined ? '' : ` (at position ${position})`}`);
    }
    throw new GatewayError(options.nonJsonStatus ?? 415, `request body must be JSON (got content-type ${contentType.split(';')[0]})`);
  }
}

/** A key in a message: JSON-quoted (control characters escaped), at most 64 characters. */
function quoteKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key);
}
