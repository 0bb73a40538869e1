// The auth matrix: every client (admin, write, read, read limited to get-asset-id, no key,
// a wrong key; keys sent as Authorization: Bearer and as X-API-Key) against every shipped
// API with its own method and a wrong one, /api/auth, /api/list, /health, /ready and an
// unknown API, through a real gateway in front of the simulator. A refused request never
// reaches the simulator.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../src/access/keys.js';
import { loadDefinitions } from '../src/definitions/load.js';
import { writeKeys } from './helpers/keys.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { REPO_ROOT, startStack, tempDir, type Stack } from './helpers/stack.js';

const KEY_REQUIRED = { status: 'error', message: 'API key required: send Authorization: Bearer <key> or X-API-Key: <key>' };
const INVALID_KEY = { status: 'error', message: 'invalid API key' };

let stack: Stack;
let keys: Record<'admin' | 'write' | 'read' | 'limited', string>;
let serial = 0;

beforeAll(async () => {
  const dir = await tempDir('evgw-matrix-');
  const written = await writeKeys(dir, {
    admin: { role: 'admin' },
    write: { role: 'write' },
    read: { role: 'read' },
    limited: { role: 'read', apis: ['get-asset-id'] },
  });
  keys = written.keys;
  stack = await startStack({ env: { API_KEYS_FILE: written.file } });
  // Sign the gateway in, as an operator would: with the admin key.
  const auth = await call('POST', '/api/auth', stack.sim.demo, { authorization: `Bearer ${keys.admin}` });
  expect(auth.status, auth.text).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

function call(method: string, target: string, body: unknown, headers: Record<string, string>): Promise<RawResponse> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return rawRequest(stack.url, method, target, { headers: { ...headers, ...(text !== undefined && { 'content-type': 'application/json' }) }, body: text });
}

/** A request each shipped API answers 2xx for, with its own method. Bodies are made per call (serials must be unique). */
const OWN: Record<string, { method: string; target: string; body?: () => unknown; ok: number }> = {
  'auth-signin': { method: 'POST', target: '/api/auth-signin', body: () => stack.sim.demo, ok: 200 },
  'by-org': { method: 'GET', target: '/api/by-org/2?per_page=1', ok: 200 },
  create: {
    method: 'POST',
    target: '/api/create',
    body: () => ({ asset_type_id: 1, serial_number: `MATRIX-${++serial}`, make: 'Dell', model: 'Latitude', year: 2024 }),
    ok: 201,
  },
  'create-request': { method: 'POST', target: '/api/create-request', body: () => ({ asset_ids: [1], request_type: 'pickup' }), ok: 201 },
  'edit-asset-id': { method: 'PUT', target: '/api/edit-asset-id/1', body: () => ({ model: 'matrix' }), ok: 200 },
  'get-all': { method: 'GET', target: '/api/get-all?per_page=1', ok: 200 },
  'get-asset-id': { method: 'GET', target: '/api/get-asset-id/1', ok: 200 },
  grade: { method: 'PUT', target: '/api/grade/1/A', body: () => ({ price: 10 }), ok: 200 },
  'programs-list': { method: 'GET', target: '/api/programs-list', ok: 200 },
  'single-confirm': { method: 'POST', target: '/api/single-confirm', body: () => ({ asset_id: 1 }), ok: 200 },
  'traking-list': { method: 'GET', target: '/api/traking-list', ok: 200 },
};
/** The wrong method tried on each API: DELETE on a GET API, GET on the others. */
const wrongMethod = (own: string): string => (own === 'GET' ? 'DELETE' : 'GET');

type Client = 'admin' | 'write' | 'read' | 'limited';
const CLIENTS: Client[] = ['admin', 'write', 'read', 'limited'];
const S = 'ok'; // the API's success status (OWN[api].ok)

/**
 * Expected status per client, in CLIENTS order (admin, write, read, read limited to
 * get-asset-id): with the API's own method, then with the wrong method. Without a key, or
 * with a wrong one, every row is 401.
 */
const EXPECTED: Record<string, { own: (number | typeof S)[]; wrong: number[] }> = {
  'auth-signin': { own: [S, S, 403, 403], wrong: [405, 405, 403, 403] },
  'by-org': { own: [S, S, S, 403], wrong: [405, 405, 405, 403] },
  create: { own: [S, S, 403, 403], wrong: [405, 405, 403, 403] },
  'create-request': { own: [S, S, 403, 403], wrong: [405, 405, 403, 403] },
  'edit-asset-id': { own: [S, S, 403, 403], wrong: [405, 405, 403, 403] },
  'get-all': { own: [S, S, S, 403], wrong: [405, 405, 405, 403] },
  'get-asset-id': { own: [S, S, S, S], wrong: [405, 405, 405, 405] },
  grade: { own: [S, S, 403, 403], wrong: [405, 405, 403, 403] },
  'programs-list': { own: [S, S, S, 403], wrong: [405, 405, 405, 403] },
  'single-confirm': { own: [S, S, 403, 403], wrong: [405, 405, 403, 403] },
  'traking-list': { own: [S, S, S, 403], wrong: [405, 405, 405, 403] },
};

/** The gateway's own routes: [label, method, target, body, expected per client in CLIENTS order]. */
const OWN_ROUTES: [string, string, string, (() => unknown) | undefined, number[]][] = [
  ['POST /api/auth', 'POST', '/api/auth', () => stack.sim.demo, [200, 403, 403, 403]],
  ['GET /api/auth (wrong method)', 'GET', '/api/auth', undefined, [405, 403, 403, 403]],
  ['GET /api/list', 'GET', '/api/list', undefined, [200, 200, 200, 200]],
  ['HEAD /api/list', 'HEAD', '/api/list', undefined, [200, 200, 200, 200]],
  ['POST /api/list (wrong method)', 'POST', '/api/list', undefined, [405, 405, 405, 405]],
  ['GET /health', 'GET', '/health', undefined, [200, 200, 200, 200]],
  ['GET /ready', 'GET', '/ready', undefined, [200, 200, 200, 200]],
  ['GET /api/no-such-api', 'GET', '/api/no-such-api', undefined, [404, 404, 404, 404]],
  ['GET /no/such/route', 'GET', '/no/such/route', undefined, [404, 404, 404, 404]],
];

const TRANSPORTS: [string, (key: string) => Record<string, string>][] = [
  ['Authorization: Bearer', (key) => ({ authorization: `Bearer ${key}` })],
  ['X-API-Key', (key) => ({ 'x-api-key': key })],
];

interface Row {
  label: string;
  method: string;
  target: string;
  body: (() => unknown) | undefined;
  /** Expected status per client, in CLIENTS order. */
  expected: number[];
  /** Answered without a key (or with a wrong one). */
  anonymous: number;
}

const ROWS: Row[] = [
  ...Object.entries(OWN).flatMap(([api, own]) => {
    const exp = EXPECTED[api]!;
    return [
      { label: `${api}: ${own.method} (own)`, method: own.method, target: own.target, body: own.body, expected: exp.own.map((s) => (s === S ? own.ok : s)), anonymous: 401 },
      { label: `${api}: ${wrongMethod(own.method)} (wrong)`, method: wrongMethod(own.method), target: own.target, body: undefined, expected: exp.wrong, anonymous: 401 },
    ];
  }),
  ...OWN_ROUTES.map(([label, method, target, body, expected]) => ({
    label,
    method,
    target,
    body,
    expected,
    anonymous: target === '/health' || target === '/ready' ? 200 : 401,
  })),
];

function upstreamCalls(): number {
  return Object.values(stack.sim.calls()).reduce((a, b) => a + b, 0);
}

async function expectStatus(row: Row, headers: Record<string, string>, expected: number): Promise<RawResponse> {
  const before = upstreamCalls();
  const res = await call(row.method, row.target, row.body?.(), headers);
  expect(res.status, `${row.method} ${row.target}: ${res.text}`).toBe(expected);
  if (row.method !== 'HEAD') expect(res.headers['content-type']).toMatch(/^application\/json/);
  if (expected === 401 || expected === 403 || expected === 405) {
    // Refused before the proxy, or (405) by it: nothing reached the upstream.
    expect(upstreamCalls()).toBe(before);
  }
  return res;
}

it('the matrix covers every shipped API', async () => {
  const shipped = (await loadDefinitions(path.join(REPO_ROOT, 'apis'))).list();
  expect(shipped.map((d) => d.name).sort()).toEqual(Object.keys(OWN).sort());
  expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(OWN).sort());
  for (const def of shipped) expect(OWN[def.name]!.method).toBe(def.method);
});

for (const [transport, header] of TRANSPORTS) {
  describe(`keys sent as ${transport}`, () => {
    CLIENTS.forEach((client, i) => {
      describe(`${client} key`, () => {
        it.each(ROWS.map((r) => [r.label, r] as const))('%s', async (_label, row) => {
          const res = await expectStatus(row, header(keys[client]), row.expected[i]!);
          if (res.status === 403 && row.method !== 'HEAD') {
            expect(res.json.status).toBe('error');
            expect(res.json.message).toContain(`API key '${client}'`);
            expect(res.text).not.toContain(keys[client]);
          }
        });
      });
    });

    describe('a wrong key', () => {
      it.each(ROWS.map((r) => [r.label, r] as const))('%s', async (_label, row) => {
        const wrong = generateKey();
        const res = await expectStatus(row, header(wrong), row.anonymous);
        if (res.status === 401 && row.method !== 'HEAD') {
          expect(res.json).toEqual(INVALID_KEY);
          expect(res.headers['www-authenticate']).toBe('Bearer');
        }
        expect(res.text).not.toContain(wrong);
      });
    });
  });
}

describe('no key', () => {
  it.each(ROWS.map((r) => [r.label, r] as const))('%s', async (_label, row) => {
    const res = await expectStatus(row, {}, row.anonymous);
    if (res.status === 401 && row.method !== 'HEAD') {
      expect(res.json).toEqual(KEY_REQUIRED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });
});

describe('how a key may be presented', () => {
  const list = (headers: Record<string, string>) => rawRequest(stack.url, 'GET', '/api/list', { headers });
  it('the Bearer scheme in lower case works', async () => {
    expect((await list({ authorization: `bearer ${keys.read}` })).status).toBe(200);
  });
  it('both headers with the same key work', async () => {
    expect((await list({ authorization: `Bearer ${keys.read}`, 'x-api-key': keys.read })).status).toBe(200);
  });
  it.each([
    ['two different valid keys in the two headers', () => ({ authorization: `Bearer ${keys.read}`, 'x-api-key': keys.admin }), INVALID_KEY],
    ['a valid key under the Basic scheme', () => ({ authorization: `Basic ${keys.admin}` }), KEY_REQUIRED],
    ['a valid key in Authorization without a scheme', () => ({ authorization: keys.admin }), KEY_REQUIRED],
    ['a valid key with a character appended', () => ({ 'x-api-key': `${keys.admin}A` }), INVALID_KEY],
    ['a valid key truncated', () => ({ 'x-api-key': keys.admin.slice(0, -1) }), INVALID_KEY],
    ['the stored hash of a valid key', () => ({ 'x-api-key': `sha256:${'0'.repeat(64)}` }), INVALID_KEY],
    ['an empty X-API-Key', () => ({ 'x-api-key': '' }), INVALID_KEY],
  ])('refused (401): %s', async (_name, headers, expected) => {
    const res = await list(headers());
    expect(res.status).toBe(401);
    expect(res.json).toEqual(expected);
  });

  it('two Authorization headers are ambiguous and refused, even when the first is valid', async () => {
    const res = await rawRequest(stack.url, 'GET', '/api/list', { headers: { Authorization: [`Bearer ${keys.admin}`, `Bearer ${generateKey()}`] } });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(INVALID_KEY);
  });

  it('a repeated X-API-Key header (valid, then another) is refused', async () => {
    const res = await rawRequest(stack.url, 'GET', '/api/list', { headers: { 'x-api-key': [keys.admin, generateKey()] } });
    expect(res.status).toBe(401);
  });

  it('an unauthenticated POST is refused before its body is read: a body over the size limit still gets 401, not 413', async () => {
    const res = await rawRequest(stack.url, 'POST', '/api/create', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(stack.settings.bodyLimitBytes + 10) }),
    });
    expect(res.status).toBe(401);
  });
});
