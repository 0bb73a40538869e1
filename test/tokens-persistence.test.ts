// The token file: where it lives, who may read it, that it survives a restart, that it is
// replaced atomically, and that a broken one means "not authenticated", never a crash.
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile, access, constants } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from './helpers/clock.js';
import { startGateway, startStack, signIn, tempDir, type StartedGateway, type Stack } from './helpers/stack.js';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { count, getAll, health, LIST, readTokenFile, REFRESH, SIGNIN, tokenFile } from './helpers/tokens.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scratch(): Promise<string> {
  const dir = await tempDir('evgw-persist-');
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function stackIn(dataDir: string, options: Parameters<typeof startStack>[0] = {}): Promise<Stack> {
  const s = await startStack({ ...options, dataDir });
  cleanups.push(() => s.close());
  return s;
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('token file', () => {
  it('is <dataDir>/tokens.json, mode 0600, in a folder created 0700', async () => {
    const root = await scratch();
    const dataDir = path.join(root, 'nested', 'data');
    const s = await stackIn(dataDir);
    await signIn(s);
    expect(await mode(tokenFile(dataDir))).toBe(0o600);
    expect(await mode(dataDir)).toBe(0o700);
    const stored = await readTokenFile(dataDir);
    expect(stored).toMatchObject({ version: 1 });
    expect(stored.accessToken.length).toBeGreaterThan(20);
    expect(stored.idToken.length).toBeGreaterThan(20);
    expect(stored.refreshToken.length).toBeGreaterThan(20);
  });

  it('leaves an existing folder as the operator made it (it may be shared, e.g. /tmp), with a warning; the file is 0600', async () => {
    const dataDir = path.join(await scratch(), 'data');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o1777);
    const s = await stackIn(dataDir);
    await signIn(s);
    expect(await mode(dataDir)).toBe(0o777);
    expect(await mode(tokenFile(dataDir))).toBe(0o600);
    expect(s.logs.entries().some((e) => e.level === 40 && e.msg === 'data folder is accessible to other users; 0700 is recommended')).toBe(true);
  });

  it('ignores a token file written for another upstream (a changed EVERCYCLE_BASE_URL), with a warning', async () => {
    const dataDir = await scratch();
    const s = await stackIn(dataDir);
    await signIn(s);
    const stored = JSON.parse(await readFile(tokenFile(dataDir), 'utf8')) as Record<string, unknown>;
    expect(stored.upstream).toBe(s.simUrl);
    await writeFile(tokenFile(dataDir), JSON.stringify({ ...stored, upstream: 'https://elsewhere.example' }), { mode: 0o600 });
    s.sim.resetCalls();
    await s.restart();
    expect((await health(s.url)).authenticated).toBe(false);
    expect((await getAll(s.url)).status).toBe(401);
    expect(s.sim.calls()).toEqual({});
    expect(s.logs.text).toContain('token file belongs to another Evercycle upstream');
  });

  it('survives a gateway restart: calls work with no new sign-in upstream', async () => {
    const dataDir = await scratch();
    const s = await stackIn(dataDir);
    await signIn(s);
    const before = await readTokenFile(dataDir);
    await s.restart();
    const h = await health(s.url);
    expect(h.authenticated).toBe(true);
    const res = await getAll(s.url);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    const calls = s.sim.calls();
    expect(count(calls, SIGNIN)).toBe(1);
    expect(count(calls, REFRESH)).toBe(0);
    expect(count(calls, LIST)).toBe(1);
    expect(await readTokenFile(dataDir)).toEqual(before);
  });

  it('leaves no temporary files behind after sign-ins and refreshes', async () => {
    const dataDir = await scratch();
    const clock = manualClock();
    const s = await stackIn(dataDir, { now: clock.now, simulator: { now: clock.now, rotateRefreshTokens: true } });
    await signIn(s);
    await signIn(s);
    for (let i = 0; i < 3; i++) {
      clock.advanceS(3600);
      expect((await getAll(s.url)).status).toBe(200);
    }
    expect(count(s.sim.calls(), REFRESH)).toBe(3);
    expect(await readdir(dataDir)).toEqual(['tokens.json']);
  });
});

describe('a token file that cannot be used', () => {
  let sim: Simulator;
  let gw: StartedGateway;

  async function startOver(dataDir: string): Promise<void> {
    sim = createSimulator();
    const simUrl = await sim.listen();
    cleanups.push(() => sim.close());
    gw = await startGateway(simUrl, { dataDir });
    cleanups.push(() => gw.close());
  }

  async function expectUnauthenticatedAndWarned(message: RegExp): Promise<void> {
    const h = await health(gw.url);
    expect(h.authenticated).toBe(false);
    expect(h.token_expires_in_s).toBeNull();
    const res = await getAll(gw.url);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ status: 'error', message: 'not authenticated: POST /api/auth first' });
    expect(count(sim.calls(), LIST)).toBe(0);
    const warnings = gw.logs.entries().filter((e) => e.level === 40 && message.test(String(e.msg)));
    expect(warnings).toHaveLength(1);
    // Still serving: a sign-in repairs the state and replaces the file.
    const auth = await fetch(`${gw.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sim.demo) });
    expect(auth.status).toBe(200);
    expect((await getAll(gw.url)).status).toBe(200);
  }

  const validShape = {
    version: 1,
    accessToken: 'a'.repeat(40),
    idToken: 'i'.repeat(40),
    refreshToken: 'r'.repeat(40),
    expiresAt: Date.now() + 3_600_000,
    obtainedAt: Date.now(),
  };
  const full = JSON.stringify(validShape);

  it.each([
    ['garbage', 'this is \u0000 not json at all'],
    ['truncated JSON', full.slice(0, Math.floor(full.length / 2))],
    ['an empty file', ''],
    ['JSON of the wrong shape', JSON.stringify({ AccessToken: 'x', IdToken: 'y' })],
    ['a field of the wrong type', JSON.stringify({ ...validShape, expiresAt: 'tomorrow' })],
    ['an unknown format version', JSON.stringify({ ...validShape, version: 99 })],
    ['JSON null', 'null'],
    ['a JSON array', '[1,2,3]'],
  ])('%s: starts unauthenticated, answers 401, warns, and recovers on sign-in', async (_name, content) => {
    const dataDir = await scratch();
    await writeFile(tokenFile(dataDir), content, { mode: 0o600 });
    await startOver(dataDir);
    await expectUnauthenticatedAndWarned(/token file is corrupt/);
    expect((await readTokenFile(dataDir)).version).toBe(1);
  });

  it('unreadable (mode 000): starts unauthenticated and warns', async (ctx) => {
    const dataDir = await scratch();
    const file = tokenFile(dataDir);
    await writeFile(file, full, { mode: 0o600 });
    await chmod(file, 0o000);
    const readable = await access(file, constants.R_OK).then(
      () => true,
      () => false,
    );
    // root reads any file: there is nothing to test then.
    if (readable) ctx.skip();
    await startOver(dataDir);
    await expectUnauthenticatedAndWarned(/token file unreadable/);
  });

  it('unreadable (a folder where the file should be): starts unauthenticated and warns', async () => {
    const dataDir = await scratch();
    await mkdir(tokenFile(dataDir));
    await startOver(dataDir);
    const h = await health(gw.url);
    expect(h.authenticated).toBe(false);
    const res = await getAll(gw.url);
    expect(res.status).toBe(401);
    const warnings = gw.logs.entries().filter((e) => e.level === 40 && /token file unreadable/.test(String(e.msg)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'EISDIR' });
  });

  it('never logs the content of a corrupt file', async () => {
    const dataDir = await scratch();
    await writeFile(tokenFile(dataDir), full.slice(0, full.length - 5), { mode: 0o600 });
    await startOver(dataDir);
    expect(gw.logs.text).not.toContain('a'.repeat(40));
    expect(gw.logs.text).not.toContain('r'.repeat(40));
  });
});

describe('the token file on disk', () => {
  it('after a restart with an expired token, the refresh result replaces the file atomically', async () => {
    const dataDir = await scratch();
    const clock = manualClock();
    const s = await stackIn(dataDir, { now: clock.now, simulator: { now: clock.now } });
    await signIn(s);
    const first = await readFile(tokenFile(dataDir), 'utf8');
    await s.restart();
    clock.advanceS(3600);
    expect((await getAll(s.url)).status).toBe(200);
    const second = await readTokenFile(dataDir);
    expect(JSON.stringify(second)).not.toBe(first);
    expect(second.refreshToken).toBe((JSON.parse(first) as { refreshToken: string }).refreshToken);
    expect(await mode(tokenFile(dataDir))).toBe(0o600);
    expect(await readdir(dataDir)).toEqual(['tokens.json']);
  });
});
