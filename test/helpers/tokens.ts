// Small helpers shared by the token tests: the token file, /health, one proxied call.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { rawRequest, type RawResponse } from './raw-http.js';

export interface StoredTokens {
  version: number;
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number;
  obtainedAt: number;
}

export function tokenFile(dataDir: string): string {
  return path.join(dataDir, 'tokens.json');
}

export async function readTokenFile(dataDir: string): Promise<StoredTokens> {
  return JSON.parse(await readFile(tokenFile(dataDir), 'utf8')) as StoredTokens;
}

export interface Health {
  status: string;
  authenticated: boolean;
  token_expires_in_s: number | null;
  [k: string]: unknown;
}

export async function health(url: string): Promise<Health> {
  const res = await rawRequest(url, 'GET', '/health');
  if (res.status !== 200) throw new Error(`/health answered ${res.status}: ${res.text}`);
  return res.json as Health;
}

/** Poll /health until `predicate` holds (the gateway signs in in the background at start). */
export async function waitForHealth(url: string, predicate: (h: Health) => boolean, timeoutMs = 3000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(url);
    if (predicate(h)) return h;
    if (Date.now() > deadline) throw new Error(`/health never matched: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One proxied call that needs a token: GET /api/get-all -> GET /v1/asset upstream. */
export function getAll(url: string): Promise<RawResponse> {
  return rawRequest(url, 'GET', '/api/get-all?per_page=2');
}

export function postJson(url: string, target: string, body: unknown): Promise<RawResponse> {
  return rawRequest(url, 'POST', target, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** How often the simulator saw an endpoint (0 when never). */
export function count(calls: Record<string, number>, key: string): number {
  return calls[key] ?? 0;
}

export const SIGNIN = 'POST /v1/auth/signin';
export const REFRESH = 'POST /v1/auth/refresh';
export const LIST = 'GET /v1/asset';

/** Poll until `condition` holds (for events the test cannot await directly). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Wait until the token file exists. After a background sign-in (service account, at
 * start) /health reports authenticated as soon as the tokens are in memory, a moment
 * before they are on disk; a test that restarts the gateway must wait for the file.
 */
export async function waitForTokenFile(dataDir: string, timeoutMs = 3000): Promise<StoredTokens> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await readTokenFile(dataDir);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
