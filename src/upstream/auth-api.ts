// The Evercycle sign-in and refresh endpoints, on the shared upstream client.
import { GatewayError } from '../errors.js';
import { AuthRejectedError, parseAuthResult, type AuthResult } from './auth-result.js';
import type { CallOptions } from './call-options.js';
import type { UpstreamClient } from './client.js';
import { mapUpstreamError } from './error-map.js';
import { parseUpstreamBody, upstreamMessage } from './response-map.js';

export interface AuthApiOptions {
  client: UpstreamClient;
  signinPath: string;
  refreshPath: string;
  /** Timeouts and retries (POSTs: retried only when nothing was sent). */
  call: CallOptions;
}

/** The sign-in and refresh calls the token manager needs (its AuthApi), over the upstream client. */
export class UpstreamAuthApi {
  constructor(private readonly options: AuthApiOptions) {}

  signIn(username: string, password: string, requestId?: string): Promise<AuthResult> {
    return this.post(this.options.signinPath, { username, password }, 'sign-in', 'auth:signin', requestId);
  }

  refresh(refreshToken: string): Promise<AuthResult> {
    return this.post(this.options.refreshPath, { refresh_token: refreshToken }, 'token refresh', 'auth:refresh');
  }

  private async post(path: string, payload: unknown, what: string, operation: string, requestId?: string): Promise<AuthResult> {
    const body = Buffer.from(JSON.stringify(payload));
    let res;
    try {
      res = await this.options.client.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(requestId && { 'x-request-id': requestId }) },
        body,
        operation,
        ...this.options.call,
      });
    } catch (err) {
      throw mapUpstreamError(err, `Evercycle ${what}`);
    }
    const parsed = parseUpstreamBody(res.body, res.headers['content-type'] as string | undefined);
    // 400/401/403 are a verdict on what we sent: wrong password, expired refresh token.
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new AuthRejectedError(upstreamMessage(parsed) ?? `Evercycle ${what} rejected (${res.status})`, res.status);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new GatewayError(502, `Evercycle ${what} failed (${res.status})`, { upstream_status: res.status });
    }
    const result = parseAuthResult(parsed);
    if (!result) throw new GatewayError(502, `Evercycle ${what} answer has no usable AuthenticationResult`);
    return result;
  }
}
