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
  const declaredJson = contentType === undefined || /[/+]json\b/i.test(contentType);
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
