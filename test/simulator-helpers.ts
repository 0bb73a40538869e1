// Helpers for the simulator tests: start a real simulator on port 0 and talk to it over
// HTTP with fetch. No inject, no mocks.
import { afterAll, beforeAll } from 'vitest';
import { createSimulator, DEMO_ACCOUNT, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';

export interface Running {
  sim: Simulator;
  base: string;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Running> {
  const sim = createSimulator(options);
  const base = await sim.listen();
  return { sim, base };
}

export interface Tokens {
  AccessToken: string;
  IdToken: string;
  RefreshToken: string;
  ExpiresIn: number;
  TokenType: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined. */
  body: any;
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** Sent as JSON with Content-Type: application/json. */
  json?: unknown;
  /** Sent as is; give the content type in headers. */
  raw?: string;
}

export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.raw !== undefined) {
    body = opts.raw;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export async function signIn(base: string, creds: { username: string; password: string } = DEMO_ACCOUNT): Promise<Tokens> {
  const res = await call(base, 'POST', '/v1/auth/signin', { json: creds });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  return res.body.AuthenticationResult as Tokens;
}

/** The two headers the real API wants: the raw IdToken and the AccessToken. */
export function authHeaders(tokens: Pick<Tokens, 'IdToken' | 'AccessToken'>): Record<string, string> {
  return { authorization: tokens.IdToken, 'access-token': tokens.AccessToken };
}

/** A signed-in client: call(method, path, opts) with the auth headers already set. */
export async function client(base: string, creds?: { username: string; password: string }) {
  const tokens = await signIn(base, creds);
  const headers = authHeaders(tokens);
  return {
    tokens,
    call: (method: string, path: string, opts: CallOptions = {}) => call(base, method, path, { ...opts, headers: { ...headers, ...opts.headers } }),
  };
}

/**
 * A simulator and a client signed in to it with the demo account, for one describe block:
 * started before its tests, closed after them. Read `ctx.s` and `ctx.api` inside tests.
 */
export function signedInSimulator(): { s: Running; api: Awaited<ReturnType<typeof client>> } {
  const ctx = {} as { s: Running; api: Awaited<ReturnType<typeof client>> };
  beforeAll(async () => {
    ctx.s = await startSimulator();
    ctx.api = await client(ctx.s.base);
  });
  afterAll(() => ctx.s.sim.close());
  return ctx;
}

/** Decode the payload of a JWT-shaped token. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A clock the test moves by hand. */
export function manualClock(startMs: number) {
  let t = startMs;
  return {
    now: () => t,
    set: (ms: number) => {
      t = ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}
