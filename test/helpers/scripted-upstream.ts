// An Evercycle stand-in whose sign-in, refresh and data answers each test scripts: a
// refresh that is refused (401) or fails (503), data calls that always answer 401. The
// simulator never misbehaves like that on purpose. Every token it issues is distinct
// and distinctive, so tests can grep for them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { json, type RecordedRequest } from './recording-upstream.js';

export type ScriptedResponder = (req: RecordedRequest, res: http.ServerResponse) => void;

export interface IssuedTokens {
  AccessToken: string;
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
}

export interface ScriptedUpstream {
  url: string;
  signIns: RecordedRequest[];
  refreshes: RecordedRequest[];
  /** Requests other than sign-in and refresh. */
  data: RecordedRequest[];
  /** Every token set issued so far, in order. */
  issued: IssuedTokens[];
  onSignIn: ScriptedResponder;
  onRefresh: ScriptedResponder;
  onData: ScriptedResponder;
  /** The default answers (sign-in: new tokens; refresh: new pair without RefreshToken; data: 200). */
  readonly defaults: { signIn: ScriptedResponder; refresh: ScriptedResponder; data: ScriptedResponder };
  close(): Promise<void>;
}

const unique = (kind: string): string => `${kind}-${randomBytes(12).toString('hex')}`;

export async function startScriptedUpstream(options: { expiresInS?: number } = {}): Promise<ScriptedUpstream> {
  const expiresIn = options.expiresInS ?? 3600;
  const issue = (withRefresh: boolean): IssuedTokens => {
    const t: IssuedTokens = { AccessToken: unique('scripted-access'), IdToken: unique('scripted-id'), ExpiresIn: expiresIn };
    if (withRefresh) t.RefreshToken = unique('scripted-refresh');
    state.issued.push(t);
    return t;
  };
  const defaults = {
    signIn: (_req: RecordedRequest, res: http.ServerResponse) => json(res, 200, { AuthenticationResult: { ...issue(true), TokenType: 'Bearer' } }),
    refresh: (_req: RecordedRequest, res: http.ServerResponse) => json(res, 200, { AuthenticationResult: { ...issue(false), TokenType: 'Bearer' } }),
    data: (_req: RecordedRequest, res: http.ServerResponse) => json(res, 200, { ok: true }),
  };
  const state: ScriptedUpstream = {
    url: '',
    signIns: [],
    refreshes: [],
    data: [],
    issued: [],
    onSignIn: defaults.signIn,
    onRefresh: defaults.refresh,
    onData: defaults.data,
    defaults,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      if (recorded.method === 'POST' && recorded.url === '/v1/auth/signin') {
        state.signIns.push(recorded);
        return state.onSignIn(recorded, res);
      }
      if (recorded.method === 'POST' && recorded.url === '/v1/auth/refresh') {
        state.refreshes.push(recorded);
        return state.onRefresh(recorded, res);
      }
      state.data.push(recorded);
      state.onData(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
