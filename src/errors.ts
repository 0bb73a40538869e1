// The one error type the gateway answers with. Anything thrown with a statusCode below
// 500 is shown to the client as-is, so messages here must never contain a secret.

export class GatewayError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** Extra top-level fields for the JSON error body (e.g. upstream_status, details). */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers (e.g. Allow, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export function errorBody(message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'error', message, ...extra };
}
