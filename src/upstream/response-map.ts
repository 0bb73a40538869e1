// Pure mapping from an upstream answer to what the gateway tells its client.
// 2xx -> same status (204/205 -> 200), {"status":"success","data":...}
// 4xx -> same status, {"status":"error","message","upstream_status","details"}
// 3xx/5xx -> 502, same error shape (a 503 with Retry-After stays 503) (we never follow redirects: the API does not use them)

export interface MappedResponse {
  statusCode: number;
  payload: Record<string, unknown>;
}

/** Interpret an upstream body: JSON when it parses as such, else the text; empty -> null. */
export function parseUpstreamBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  const declaredJson = contentType === undefined || JSON_TYPE.test(contentType);
  if (declaredJson) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

const MESSAGE_FIELDS = ['message', 'Message', 'error_description', 'error', 'detail', 'title'] as const;

/** The upstream's own human message, when its error body has one. */
export function upstreamMessage(details: unknown): string | undefined {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return undefined;
  for (const field of MESSAGE_FIELDS) {
    const value = (details as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.trim() !== '') return value.length > 500 ? `${value.slice(0, 500)}…` : value;
  }
  return undefined;
}

const ENVELOPE_HEAD = Buffer.from('{"status":"success","data":');
const ENVELOPE_TAIL = Buffer.from('}');
const JSON_TYPE = /[/+]json\b/i;

/**
 * The success envelope of a 2xx JSON answer as bytes, built around the upstream's own
 * bytes instead of parsing them and serialising them again (the common case, and most of
 * a large page's cost). Only for a body that is plainly one JSON object or array: it
 * declares JSON and starts with `{` or `[` and ends with the matching bracket (leading and
 * trailing whitespace allowed). Anything else (empty, text, a mislabelled HTML page, a BOM)
 * returns null and goes through mapUpstreamResponse, which parses it. A truncated body
 * never gets here: the client refuses a body shorter than its Content-Length.
 */
export function successEnvelope(status: number, body: Buffer, contentType: string | undefined): { statusCode: number; bytes: Buffer } | null {
  if (status < 200 || status >= 300 || status === 204 || status === 205) return null;
  if (contentType !== undefined && !JSON_TYPE.test(contentType)) return null;
  let first = 0;
  let last = body.length - 1;
  while (first <= last && isJsonSpace(body[first]!)) first++;
  while (last >= first && isJsonSpace(body[last]!)) last--;
  if (first >= last) return null;
  const open = body[first];
  const close = body[last];
  if (!((open === 0x7b && close === 0x7d) || (open === 0x5b && close === 0x5d))) return null;
  return { statusCode: status, bytes: Buffer.concat([ENVELOPE_HEAD, body, ENVELOPE_TAIL], ENVELOPE_HEAD.length + body.length + ENVELOPE_TAIL.length) };
}

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export function mapUpstreamResponse(status: number, body: Buffer, contentType: string | undefined, retryAfter?: string): MappedResponse {
  const data = parseUpstreamBody(body, contentType);
  if (status >= 200 && status < 300) {
    // 204/205 cannot carry a body, and the client is promised an envelope: answer 200.
    const statusCode = status === 204 || status === 205 ? 200 : status;
    return { statusCode, payload: { status: 'success', data } };
  }
  // A 503 with Retry-After is a "come back later" the client can act on: keep it (and the
  // header, passed on by the proxy) rather than folding it into a generic 502.
  const statusCode = status >= 400 && status < 500 ? status : status === 503 && retryAfter !== undefined ? 503 : 502;
  const message = upstreamMessage(data) ?? `Evercycle API answered ${status}`;
  return { statusCode, payload: { status: 'error', message, upstream_status: status, details: data } };
}
