// API keys, pure: the key format, its stored hash, matching a presented key against every
// stored hash in constant time, reading the key from the request headers, the role rules,
// and which HOST counts as loopback.
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { exposureDecision, isLoopbackHost } from '../src/access/exposure.js';
import { generateKey, hashKey, isKeyFormat, KeyRing, presentedKey, type StoredKey } from '../src/access/keys.js';
import { authorize, type AccessTarget } from '../src/access/roles.js';

// Spy on timingSafeEqual to prove every stored hash is compared.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const stored = (name: string, key: string, role: StoredKey['role'] = 'write', apis?: string[]): StoredKey => ({
  name,
  role,
  hash: hashKey(key),
  created_at: '2025-01-01T00:00:00.000Z',
  ...(apis && { apis }),
});

describe('generateKey', () => {
  it('is egw_ + 32 random bytes as unpadded base64url (43 characters)', () => {
    const key = generateKey();
    expect(key).toMatch(/^egw_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
    expect(isKeyFormat(key)).toBe(true);
  });

  it('never repeats (1000 keys, all distinct)', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateKey));
    expect(keys.size).toBe(1000);
  });
});

describe('hashKey', () => {
  it('is sha256:<64 hex> of the key, the same every time', () => {
    const key = generateKey();
    expect(hashKey(key)).toBe(`sha256:${crypto.createHash('sha256').update(key).digest('hex')}`);
    expect(hashKey(key)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashKey(key)).not.toContain(key.slice(4));
  });
});

describe('KeyRing.find', () => {
  const [a, b, c] = [generateKey(), generateKey(), generateKey()];
  const ring = new KeyRing([stored('alpha', a, 'admin'), stored('beta', b, 'read', ['get-all']), stored('gamma', c)]);

  it('finds the client of each stored key, with its role and API list', () => {
    expect(ring.find(a)).toEqual({ name: 'alpha', role: 'admin' });
    expect(ring.find(b)).toEqual({ name: 'beta', role: 'read', apis: ['get-all'] });
    expect(ring.find(c)).toEqual({ name: 'gamma', role: 'write' });
  });

  it.each([
    ['an unknown key of the right format', generateKey()],
    ['a stored key with one character changed', a.slice(0, -1) + (a.endsWith('A') ? 'B' : 'A')],
    ['a stored key truncated', a.slice(0, -1)],
    ['a stored key with extra characters', `${a}x`],
    ['the stored hash itself', hashKey(a)],
    ['the hex digest', hashKey(a).slice(7)],
    ['an empty string', ''],
    ['the key without its prefix', a.slice(4)],
  ])('finds nothing for %s', (_name, presented) => {
    expect(ring.find(presented)).toBeUndefined();
  });

  it('compares against EVERY stored hash, whether the first, last or none matches', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    for (const presented of [a, c, generateKey()]) {
      spy.mockClear();
      ring.find(presented);
      expect(spy).toHaveBeenCalledTimes(3);
    }
  });

  it('the returned client is frozen: a request cannot widen its own rights', () => {
    const client = ring.find(b)!;
    expect(Object.isFrozen(client)).toBe(true);
    expect(Object.isFrozen(client.apis)).toBe(true);
  });

  it('an empty ring finds nothing', () => {
    expect(new KeyRing([]).find(a)).toBeUndefined();
  });

  it('limitedTo lists each API name some key is limited to, once', () => {
    const r = new KeyRing([stored('x', a, 'read', ['get-all', 'by-org']), stored('y', b, 'read', ['get-all'])]);
    expect(r.limitedTo().sort()).toEqual(['by-org', 'get-all']);
  });
});

describe('presentedKey', () => {
  const key = generateKey();
  it.each([
    ['Authorization: Bearer <key>', { authorization: `Bearer ${key}` }, key],
    ['the scheme in any case', { authorization: `bearer ${key}` }, key],
    ['extra spaces around the key', { authorization: `Bearer   ${key} ` }, key],
    ['X-API-Key: <key>', { 'x-api-key': key }, key],
    ['X-API-Key with spaces around', { 'x-api-key': ` ${key} ` }, key],
    ['both headers with the same key', { authorization: `Bearer ${key}`, 'x-api-key': key }, key],
    ['neither header', {}, null],
    ['another Authorization scheme', { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` }, null],
    ['Bearer without a value', { authorization: 'Bearer' }, null],
    ['a bare key in Authorization (no scheme)', { authorization: key }, null],
  ])('%s', (_name, headers, expected) => {
    expect(presentedKey(headers)).toBe(expected);
  });

  it('two different keys in the two headers are refused (empty, never one of them)', () => {
    expect(presentedKey({ authorization: `Bearer ${key}`, 'x-api-key': generateKey() })).toBe('');
  });

  it('a repeated X-API-Key header (joined by Node as "a, b") fails the key format', () => {
    const joined = presentedKey({ 'x-api-key': `${key}, ${generateKey()}` })!;
    expect(isKeyFormat(joined)).toBe(false);
  });
});

describe('authorize (role rules)', () => {
  const admin = { name: 'ops', role: 'admin' } as const;
  const write = { name: 'app', role: 'write' } as const;
  const read = { name: 'dash', role: 'read' } as const;
  const limited = { name: 'kiosk', role: 'read', apis: ['get-asset-id'] } as const;
  const writeLimited = { name: 'importer', role: 'write', apis: ['create'] } as const;
  const targets: Record<string, AccessTarget> = {
    open: { kind: 'open' },
    auth: { kind: 'admin', route: '/api/auth' },
    list: { kind: 'list' },
    getApi: { kind: 'api', name: 'get-asset-id', method: 'GET' },
    otherGetApi: { kind: 'api', name: 'get-all', method: 'GET' },
    postApi: { kind: 'api', name: 'create', method: 'POST' },
    putApi: { kind: 'api', name: 'grade', method: 'PUT' },
    unknownApi: { kind: 'api', name: 'nope', method: undefined },
    noRoute: { kind: 'other' },
  };
  const table: [string, typeof admin | typeof write | typeof read | typeof limited | typeof writeLimited, Record<keyof typeof targets, boolean>][] = [
    ['admin', admin, { open: true, auth: true, list: true, getApi: true, otherGetApi: true, postApi: true, putApi: true, unknownApi: true, noRoute: true }],
    ['write', write, { open: true, auth: false, list: true, getApi: true, otherGetApi: true, postApi: true, putApi: true, unknownApi: true, noRoute: true }],
    ['read', read, { open: true, auth: false, list: true, getApi: true, otherGetApi: true, postApi: false, putApi: false, unknownApi: true, noRoute: true }],
    ['read limited to get-asset-id', limited, { open: true, auth: false, list: true, getApi: true, otherGetApi: false, postApi: false, putApi: false, unknownApi: true, noRoute: true }],
    ['write limited to create', writeLimited, { open: true, auth: false, list: true, getApi: false, otherGetApi: false, postApi: true, putApi: false, unknownApi: true, noRoute: true }],
  ];
  for (const [label, client, expected] of table) {
    it.each(Object.entries(expected))(`${label} -> %s: %s`, (target, allowed) => {
      expect(authorize(client, targets[target]!).allowed).toBe(allowed);
    });
  }

  it('a refusal names the key, its role and what is missing', () => {
    expect(authorize(write, targets.auth!)).toEqual({ allowed: false, message: "API key 'app' (role write) may not use /api/auth: that needs the admin role" });
    expect(authorize(read, targets.postApi!)).toEqual({
      allowed: false,
      message: "API key 'dash' (role read) may not call 'create' (a POST API): that needs the write or admin role",
    });
    expect(authorize(limited, targets.otherGetApi!)).toEqual({
      allowed: false,
      message: "API key 'kiosk' (role read) may not call 'get-all': the key is limited to get-asset-id",
    });
  });

  it('an unclassified operator route needs admin', () => {
    expect(authorize(write, { kind: 'admin', route: '/metrics' })).toMatchObject({ allowed: false, message: expect.stringContaining('/metrics') });
    expect(authorize(admin, { kind: 'admin', route: '/metrics' }).allowed).toBe(true);
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '[::]', '10.0.0.1', '192.168.1.20', '128.0.0.1', '::2', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', ''])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('exposureDecision', () => {
  it('refuses TRUST_PROXY=true without keys (a client could claim a loopback address), also on a loopback HOST', () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      expect(exposureDecision({ host, keysConfigured: false, insecureNoAuth: false, trustProxy: 'true' })).toMatchObject({ action: 'refuse', message: expect.stringMatching(/X-Forwarded-For/) });
    }
    expect(exposureDecision({ host: '127.0.0.1', keysConfigured: false, insecureNoAuth: false, trustProxy: '127.0.0.1' })).toEqual({ action: 'start' });
    expect(exposureDecision({ host: '127.0.0.1', keysConfigured: false, insecureNoAuth: false, trustProxy: '1' })).toEqual({ action: 'start' });
    expect(exposureDecision({ host: '127.0.0.1', keysConfigured: true, insecureNoAuth: false, trustProxy: 'true' })).toEqual({ action: 'start' });
  });

  it('loopback without keys: starts', () => {
    expect(exposureDecision({ host: '127.0.0.1', keysConfigured: false, insecureNoAuth: false })).toEqual({ action: 'start' });
  });
  it('non-loopback with keys: starts', () => {
    expect(exposureDecision({ host: '0.0.0.0', keysConfigured: true, insecureNoAuth: false })).toEqual({ action: 'start' });
  });
  it('non-loopback without keys: refused, naming both settings', () => {
    const d = exposureDecision({ host: '0.0.0.0', keysConfigured: false, insecureNoAuth: false });
    expect(d.action).toBe('refuse');
    expect((d as { message: string }).message).toMatch(/HOST=0\.0\.0\.0.*API_KEYS_FILE.*INSECURE_ALLOW_UNAUTHENTICATED=true/);
  });
  it('non-loopback without keys, opted out: starts with a warning', () => {
    const d = exposureDecision({ host: '0.0.0.0', keysConfigured: false, insecureNoAuth: true });
    expect(d).toMatchObject({ action: 'warn', message: expect.stringMatching(/INSECURE/) });
  });
  it('keys and the opt-out: keys win, and the operator is told the opt-out does nothing', () => {
    expect(exposureDecision({ host: '0.0.0.0', keysConfigured: true, insecureNoAuth: true })).toMatchObject({ action: 'warn', message: expect.stringMatching(/no effect/) });
  });
});
