// A real HTTP server on loopback standing in for the Evercycle API where a test must see
// exactly what the gateway sent (raw path, headers, bytes) or make the upstream answer
// something the simulator never would (HTML errors, gzip, empty bodies, hangs).
// It answers sign-in and refresh like Evercycle so the gateway can hold tokens.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The raw request target as received, e.g. `/v1/asset/a%2Fb?x=1`. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Responder = (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>;

export interface RecordingUpstream {
  url: string;
  /** Requests other than sign-in/refresh, in arrival order. */
  requests: RecordedRequest[];
  /** Sign-in and refresh requests, in arrival order. */
  authRequests: RecordedRequest[];
  signIns: number;
  refreshes: number;
  /** What the next non-auth requests are answered with (default: 200 {"ok":true}). */
  respond: Responder;
  close(): Promise<void>;
}

export const UPSTREAM_TOKENS = { AccessToken: 'acc-token-1', IdToken: 'id-token-1', RefreshToken: 'refresh-token-1', ExpiresIn: 3600 };

/** `port` (default 0: any free port) lets a test bring an upstream back on the port it had. */
export async function startRecordingUpstream(options: { port?: number } = {}): Promise<RecordingUpstream> {
  const state: RecordingUpstream = {
    url: '',
    requests: [],
    authRequests: [],
    signIns: 0,
    refreshes: 0,
    respond: (_req, res) => json(res, 200, { ok: true }),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      if (recorded.url === '/v1/auth/signin' || recorded.url === '/v1/auth/refresh') state.authRequests.push(recorded);
      if (recorded.url === '/v1/auth/signin') {
        state.signIns++;
        return json(res, 200, { AuthenticationResult: { ...UPSTREAM_TOKENS, TokenType: 'Bearer' } });
      }
      if (recorded.url === '/v1/auth/refresh') {
        state.refreshes++;
        return json(res, 200, { AuthenticationResult: { AccessToken: 'acc-token-2', IdToken: 'id-token-2', ExpiresIn: 3600, TokenType: 'Bearer' } });
      }
      state.requests.push(recorded);
      void Promise.resolve(state.respond(recorded, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
