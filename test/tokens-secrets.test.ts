// No password, access/id token or refresh token in a log line, an error body or /health.
// One session goes through everything that touches a secret (failed and good sign-ins,
// refresh, replay, a refused refresh, malformed bodies), collecting every answer; then
// the logs and the answers are searched for every secret actually used or issued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../src/simulator/index.js';
import { manualClock } from './helpers/clock.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { json } from './helpers/recording-upstream.js';
import { startScriptedUpstream, type ScriptedUpstream } from './helpers/scripted-upstream.js';
import { startGateway, startStack, type StartedGateway, type Stack } from './helpers/stack.js';
import { count, getAll, LIST, readTokenFile, REFRESH } from './helpers/tokens.js';

/** Every secret that must never be shown, with a name for the failure message. */
class Secrets {
  readonly all = new Map<string, string>();
  add(name: string, value: string | undefined): void {
    if (!value) return;
    this.all.set(value, name);
    // A token cut short is still a token: look for the first and last 16 characters of
    // each of its parts too (16 random base64url characters never occur by chance).
    value.split('.').forEach((part, i) => {
      if (part.length < 16) return;
      this.all.set(part.slice(0, 16), `${name} (start of part ${i + 1})`);
      this.all.set(part.slice(-16), `${name} (end of part ${i + 1})`);
    });
  }
  async addFile(dataDir: string, when: string): Promise<void> {
    const t = await readTokenFile(dataDir);
    this.add(`access token ${when}`, t.accessToken);
    this.add(`id token ${when}`, t.idToken);
    this.add(`refresh token ${when}`, t.refreshToken);
  }
  foundIn(text: string): string[] {
    return [...this.all].filter(([value]) => text.includes(value)).map(([, name]) => name);
  }
}

type Answers = { what: string; res: RawResponse }[];

/** Collects every answer of one session, to be searched afterwards. */
function recorder(into: Answers) {
  return async (what: string, res: Promise<RawResponse>): Promise<RawResponse> => {
    const r = await res;
    into.push({ what, res: r });
    return r;
  };
}
const postAuth = (url: string, body: string) => rawRequest(url, 'POST', '/api/auth', { headers: { 'content-type': 'application/json' }, body });

describe('secrets against the simulator', () => {
  const SERVICE_PASSWORD = 'svc-Pa55-Zq8v7-never-shown';
  const WRONG_PASSWORD = 'wrong-Pa55-Kx3m9-never-shown';
  const secrets = new Secrets();
  let s: Stack;
  const clock = manualClock();
  const mine: Answers = [];
  const record = recorder(mine);

  beforeAll(async () => {
    // trace: the most talkative level, so whatever could be logged is.
    s = await startStack({ now: clock.now, simulator: { now: clock.now, rotateRefreshTokens: true }, env: { LOG_LEVEL: 'trace' } });
    secrets.add('demo password', DEMO_ACCOUNT.password);
    secrets.add('wrong password', WRONG_PASSWORD);
    secrets.add('service password', SERVICE_PASSWORD);

    await record('wrong password', postAuth(s.url, JSON.stringify({ username: DEMO_ACCOUNT.username, password: WRONG_PASSWORD })));
    // A password left unquoted: JSON.parse's own message quotes the text around the error.
    await record('malformed body, password unquoted', postAuth(s.url, `{"username":"${DEMO_ACCOUNT.username}","password": ${DEMO_ACCOUNT.password}}`));
    await record('malformed body, long password unquoted', postAuth(s.url, `{"username":"${DEMO_ACCOUNT.username}","password": ${WRONG_PASSWORD}}`));
    await record('malformed body, no content type', rawRequest(s.url, 'POST', '/api/auth', { body: `{"password": ${DEMO_ACCOUNT.password}` }));
    await record('malformed proxied body', rawRequest(s.url, 'POST', '/api/create', { headers: { 'content-type': 'application/json' }, body: `{"password": ${DEMO_ACCOUNT.password}}` }));
    await record('good sign-in', postAuth(s.url, JSON.stringify(DEMO_ACCOUNT)));
    await secrets.addFile(s.dataDir, 'after sign-in');
    await record('call', getAll(s.url));

    clock.advanceS(3600);
    await record('call after expiry', getAll(s.url));
    await secrets.addFile(s.dataDir, 'after refresh');

    s.sim.revokeAllTokens();
    await record('call after revocation', getAll(s.url));
    await secrets.addFile(s.dataDir, 'after replay');
    await record('health', rawRequest(s.url, 'GET', '/health'));
    await record('a client sending its own Authorization', rawRequest(s.url, 'GET', '/api/get-asset-id/999999', { headers: { authorization: 'Bearer client-secret-x' } }));
  });
  afterAll(async () => {
    await s.close();
  });

  it('the session really signed in, refreshed and replayed', () => {
    const calls = s.sim.calls();
    expect(count(calls, REFRESH)).toBe(2);
    expect(count(calls, LIST)).toBe(4);
    expect(mine.find((a) => a.what === 'call after revocation')!.res.status).toBe(200);
    expect(mine.find((a) => a.what === 'wrong password')!.res.status).toBe(401);
    expect(secrets.all.size).toBeGreaterThanOrEqual(3 + 6);
  });

  it('no secret in the logs', () => {
    expect(s.logs.lines.length).toBeGreaterThan(5);
    expect(secrets.foundIn(s.logs.text)).toEqual([]);
  });

  it('no secret in any answer, /health included', () => {
    for (const { what, res } of mine) {
      expect({ what, found: secrets.foundIn(res.text) }).toEqual({ what, found: [] });
    }
  });

  it('no secret in the answer headers', () => {
    for (const { what, res } of mine) {
      expect({ what, found: secrets.foundIn(JSON.stringify(res.headers)) }).toEqual({ what, found: [] });
    }
  });
});

describe('secrets against an upstream that refuses and echoes', () => {
  // An upstream whose error bodies quote what they were sent: the gateway must not pass
  // a sign-in or refresh rejection's text (which could carry the secret) to clients or logs.
  const PASSWORD = 'echo-Pa55-Wq2r5-never-shown';
  const secrets = new Secrets();
  let up: ScriptedUpstream;
  let gw: StartedGateway;
  const mine: Answers = [];
  const record = recorder(mine);

  beforeAll(async () => {
    const clock = manualClock();
    up = await startScriptedUpstream();
    gw = await startGateway(up.url, { now: clock.now, env: { LOG_LEVEL: 'trace', EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: PASSWORD } });
    secrets.add('service password', PASSWORD);
    await record('call with the start-up sign-in', getAll(gw.url));
    await secrets.addFile(gw.dataDir, 'after start-up sign-in');

    up.onRefresh = (req, res) => json(res, 401, { message: `Invalid Refresh Token: ${req.body.toString('utf8')}` });
    up.onSignIn = (req, res) => json(res, 401, { message: `Incorrect username or password: ${req.body.toString('utf8')}` });
    clock.advanceS(3600);
    await record('refresh and sign-in refused', getAll(gw.url));
    await record('client sign-in refused', postAuth(gw.url, JSON.stringify({ username: 'u@example.com', password: PASSWORD })));
    await record('health', rawRequest(gw.url, 'GET', '/health'));
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });

  it('the refusals happened', () => {
    expect(up.refreshes).toHaveLength(1);
    expect(up.signIns.length).toBeGreaterThanOrEqual(3);
    expect(mine.find((a) => a.what === 'refresh and sign-in refused')!.res.status).toBe(401);
    expect(mine.find((a) => a.what === 'client sign-in refused')!.res.status).toBe(401);
  });

  it('no secret in the logs', () => {
    expect(secrets.foundIn(gw.logs.text)).toEqual([]);
  });

  it('no secret in any answer', () => {
    for (const { what, res } of mine) {
      expect({ what, found: secrets.foundIn(res.text) }).toEqual({ what, found: [] });
    }
  });
});
