// The token file encrypted at rest (EVERCYCLE_SECRET_KEY, AES-256-GCM): no token in clear
// on disk; a restart with the same key needs no sign-in; a wrong or missing key is a
// clear error and an unauthenticated gateway (never garbage sent upstream, never a crash);
// an invalid key refuses the start without echoing it; a plain file is still read and
// gets encrypted on the next save.
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../src/config.js';
import { spawnServe } from './helpers/cli.js';
import { manualClock } from './helpers/clock.js';
import { freePort } from './helpers/ports.js';
import { startScriptedUpstream, type IssuedTokens, type ScriptedUpstream } from './helpers/scripted-upstream.js';
import { REPO_ROOT, startGateway, tempDir, type StartedGateway } from './helpers/stack.js';
import { getAll, health, postJson, tokenFile } from './helpers/tokens.js';

const KEY = randomBytes(32).toString('hex');
const OTHER_KEY = randomBytes(32).toString('hex');
const ENV = { EVERCYCLE_REFRESH_AHEAD_S: '0' };

let up: ScriptedUpstream;
let dataDir: string;
const gateways: StartedGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close();
  await up?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A gateway on the shared data folder with `key` (or none); earlier ones are closed first. */
async function gateway(key: string | undefined, now?: () => number): Promise<StartedGateway> {
  for (const g of gateways.splice(0)) await g.close();
  const env: Record<string, string> = { ...ENV };
  if (key !== undefined) env.EVERCYCLE_SECRET_KEY = key;
  const g = await startGateway(up.url, { dataDir, env, ...(now ? { now } : {}) });
  gateways.push(g);
  return g;
}

async function setUp(): Promise<void> {
  up = await startScriptedUpstream();
  dataDir = await tempDir('evgw-crypt-');
}

async function signInVia(g: StartedGateway): Promise<IssuedTokens> {
  expect((await postJson(g.url, '/api/auth', { username: 'u@example.com', password: 'pw' })).status).toBe(200);
  return up.issued.at(-1)!;
}

const fileText = (): Promise<string> => readFile(tokenFile(dataDir), 'utf8');

function expectNoTokenIn(text: string, tokens: IssuedTokens[]): void {
  for (const t of tokens) {
    for (const value of [t.AccessToken, t.IdToken, t.RefreshToken]) if (value) expect(text).not.toContain(value);
  }
}

describe('encrypted token file', () => {
  it('holds no token in clear; a restart with the same key uses it without signing in', async () => {
    await setUp();
    const g = await gateway(KEY);
    const issued = await signInVia(g);
    const text = await fileText();
    expect(JSON.parse(text)).toMatchObject({ version: 1, sealed: { alg: 'aes-256-gcm', iv: expect.any(String), tag: expect.any(String), data: expect.any(String) } });
    expectNoTokenIn(text, [issued]);
    expectNoTokenIn(g.logs.text, [issued]);
    expect(g.logs.text).not.toContain(KEY);

    const again = await gateway(KEY);
    expect((await health(again.url)).authenticated).toBe(true);
    expect((await getAll(again.url)).status).toBe(200);
    expect(up.signIns).toHaveLength(1);
    expect(up.data.at(-1)!.headers.authorization).toBe(issued.IdToken);
    expect(up.data.at(-1)!.headers['access-token']).toBe(issued.AccessToken);
  });

  it('a base64 key works the same', async () => {
    await setUp();
    const key = randomBytes(32).toString('base64');
    const issued = await signInVia(await gateway(key));
    expectNoTokenIn(await fileText(), [issued]);
    expect((await getAll((await gateway(key)).url)).status).toBe(200);
    expect(up.signIns).toHaveLength(1);
  });

  it('a wrong key: clear error logged, unauthenticated, nothing sent upstream, still serving; a sign-in overwrites the file', async () => {
    await setUp();
    await signInVia(await gateway(KEY));
    const g = await gateway(OTHER_KEY);
    const error = g.logs.entries().find((e) => e.level === 50 && String(e.msg).includes('cannot be decrypted with EVERCYCLE_SECRET_KEY'));
    expect(error, g.logs.text).toBeDefined();
    expect(g.logs.text).not.toContain(KEY);
    expect(g.logs.text).not.toContain(OTHER_KEY);
    expect((await health(g.url)).authenticated).toBe(false);
    const res = await getAll(g.url);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ status: 'error', message: expect.stringMatching(/not authenticated/) });
    expect(up.data).toHaveLength(0);
    expect(up.refreshes).toHaveLength(0);

    // The operator signs in again: the file is rewritten with the key now in use.
    const fresh = await signInVia(g);
    expect((await getAll(g.url)).status).toBe(200);
    expect((await getAll((await gateway(OTHER_KEY)).url)).status).toBe(200);
    expect(up.data.at(-1)!.headers.authorization).toBe(fresh.IdToken);
  });

  it('an altered file is detected (GCM), not decrypted into garbage', async () => {
    await setUp();
    await signInVia(await gateway(KEY));
    const stored = JSON.parse(await fileText()) as { sealed: { data: string } };
    const data = Buffer.from(stored.sealed.data, 'base64');
    data[0] = data[0]! ^ 0x01;
    stored.sealed.data = data.toString('base64');
    await writeFile(tokenFile(dataDir), JSON.stringify(stored));
    const g = await gateway(KEY);
    expect(g.logs.entries().some((e) => e.level === 50 && String(e.msg).includes('wrong key, or the file was altered'))).toBe(true);
    expect((await getAll(g.url)).status).toBe(401);
    expect(up.data).toHaveLength(0);
  });

  it('the key removed: clear error logged, unauthenticated, nothing sent upstream', async () => {
    await setUp();
    await signInVia(await gateway(KEY));
    const g = await gateway(undefined);
    expect(g.logs.entries().some((e) => e.level === 50 && e.msg === 'token file is encrypted but EVERCYCLE_SECRET_KEY is not set; starting unauthenticated')).toBe(true);
    expect((await health(g.url)).authenticated).toBe(false);
    expect((await getAll(g.url)).status).toBe(401);
    expect(up.data).toHaveLength(0);
  });

  it('a plain file is read with a key set, and encrypted on the next save', async () => {
    await setUp();
    const clock = manualClock();
    const issued = await signInVia(await gateway(undefined, clock.now));
    const plain = await fileText();
    expect(plain).toContain(issued.AccessToken);

    const g = await gateway(KEY, clock.now);
    expect(g.logs.entries().some((e) => e.msg === 'token file is not encrypted yet; it will be on the next save')).toBe(true);
    expect((await getAll(g.url)).status).toBe(200);
    expect(up.signIns).toHaveLength(1);
    expect(await fileText()).toBe(plain); // nothing saved yet

    clock.advanceS(3600); // the next call refreshes, and the refreshed tokens are saved
    expect((await getAll(g.url)).status).toBe(200);
    expect(up.refreshes).toHaveLength(1);
    const sealed = await fileText();
    expect(JSON.parse(sealed).sealed).toBeDefined();
    expectNoTokenIn(sealed, up.issued);
    expect((await getAll((await gateway(KEY, clock.now)).url)).status).toBe(200);
    expect(up.signIns).toHaveLength(1);
  });
});

describe('an invalid EVERCYCLE_SECRET_KEY', () => {
  const invalid = ['not-a-key', 'ab'.repeat(31), 'zz'.repeat(32), randomBytes(16).toString('base64')];

  it.each(invalid)('%j is refused with a SettingsError naming the variable, without echoing the value', (value) => {
    let error: unknown;
    try {
      loadSettings({ EVERCYCLE_SECRET_KEY: value }, REPO_ROOT);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const message = (error as SettingsError).message;
    expect(message).toContain('EVERCYCLE_SECRET_KEY');
    expect(message).toMatch(/32 bytes/);
    expect(message).not.toContain(value);
  });

  it('the real command refuses to start with it: exit 1, the variable named, the value not shown', async () => {
    const value = 'c0ffee'.repeat(10); // 60 hex characters: close, but not 32 bytes
    const dir = await tempDir('evgw-crypt-cli-');
    try {
      const proc = spawnServe({ EVERCYCLE_SECRET_KEY: value, EVERCYCLE_DATA_DIR: dir, PORT: String(await freePort()) });
      const { code } = await proc.exited;
      expect(code).toBe(1);
      expect(proc.stderr()).toContain('EVERCYCLE_SECRET_KEY');
      expect(proc.stderr() + proc.stdout()).not.toContain(value);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
