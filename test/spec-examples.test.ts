// The spec's curl examples, run as a new user would after `npm ci && npm start`: the real
// command with EVERCYCLE_BASE_URL unset (so the built-in simulator answers), the demo
// account of the spec, and requests shaped like curl's (Accept: */*, curl's User-Agent).
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { rawRequest, type RawResponse } from './helpers/raw-http.js';
import { tempDir } from './helpers/stack.js';

let proc: CliProcess;
let url: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = await tempDir('evgw-spec-');
  proc = spawnServe({ PORT: '0', EVERCYCLE_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  url = await waitForListening(proc);
}, 120_000);
afterAll(async () => {
  const exit = await proc?.stop();
  await rm(dataDir, { recursive: true, force: true });
  expect(exit?.code).toBe(0);
});

const CURL = { accept: '*/*', 'user-agent': 'curl/8.5.0' };

/** `curl -X <method> <url> [-H "Content-Type: application/json"] [-d '<body>']` */
function curl(method: string, target: string, body?: unknown, contentType: string | null = 'application/json'): Promise<RawResponse> {
  const headers: Record<string, string | number> = { ...CURL };
  let text: string | undefined;
  if (body !== undefined) {
    text = typeof body === 'string' ? body : JSON.stringify(body);
    // curl -d without -H labels the body as a form.
    headers['content-type'] = contentType ?? 'application/x-www-form-urlencoded';
    headers['content-length'] = Buffer.byteLength(text);
  }
  return rawRequest(url, method, target, { headers, body: text });
}

function success(res: RawResponse, status = 200): any {
  expect(res.status, res.text).toBe(status);
  expect(res.json.status).toBe('success');
  return res.json.data;
}

describe('the spec, example by example (in order: each builds on the last)', () => {
  let created: { id: number; [k: string]: unknown };

  it('GET /health', async () => {
    const res = await curl('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', message: 'Evercycle API Server is running', upstream: 'simulator' });
  });

  it('a proxied call before any sign-in -> 401 JSON telling to authenticate', async () => {
    const res = await curl('GET', '/api/get-all');
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ status: 'error', message: expect.stringContaining('/api/auth') });
  });

  it('POST /api/auth with a wrong password -> 401, a missing password -> 400', async () => {
    const wrong = await curl('POST', '/api/auth', { username: 'user@example.com', password: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ status: 'error' });
    const missing = await curl('POST', '/api/auth', { username: 'user@example.com' });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ status: 'error' });
  });

  it('POST /api/auth -d \'{"username":"user@example.com","password":"secret"}\' -> the spec\'s success answer', async () => {
    const res = await curl('POST', '/api/auth', '{"username":"user@example.com","password":"secret"}');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', message: 'Authentication successful' });
    const health = await curl('GET', '/health');
    expect(health.json.authenticated).toBe(true);
  });

  it('the same sign-in with curl -d and no -H (form content type) works too', async () => {
    const res = await curl('POST', '/api/auth', '{"username":"user@example.com","password":"secret"}', null);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'success', message: 'Authentication successful' });
  });

  it('GET /api/list holds the example entry for get-all', async () => {
    const res = await curl('GET', '/api/list');
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('success');
    expect(res.json.apis).toContainEqual({ name: 'get-all', method: 'GET', path: '/v1/asset', description: 'Get all Assets' });
    expect(res.json.apis).toHaveLength(11);
  });

  it('GET /api/get-all (and with page_num/per_page)', async () => {
    const all = success(await curl('GET', '/api/get-all'));
    expect(Array.isArray(all)).toBe(true);
    expect(all.length).toBeGreaterThan(0);
    const page = await curl('GET', '/api/get-all?page_num=2&per_page=5');
    const items = success(page);
    expect(items).toHaveLength(5);
    expect(Number(page.headers['x-total-count'])).toBeGreaterThanOrEqual(250);
    const first = success(await curl('GET', '/api/get-all?page_num=1&per_page=5'));
    expect(items[0].id).not.toBe(first[0].id);
  });

  it('GET /api/get-asset-id/1 and GET /api/get-asset-id?id=1 give asset 1', async () => {
    const byPath = success(await curl('GET', '/api/get-asset-id/1'));
    const byQuery = success(await curl('GET', '/api/get-asset-id?id=1'));
    expect(byPath.id).toBe(1);
    expect(byQuery).toEqual(byPath);
    expect(byPath).toHaveProperty('serial_number');
  });

  it('POST /api/create answers the new asset with id, created_at, updated_at (201)', async () => {
    const body = { asset_type_id: 1, serial_number: 'SPEC-EX-0001', make: 'Dell', model: 'Latitude 7440', year: 2024 };
    created = success(await curl('POST', '/api/create', body), 201);
    expect(created).toMatchObject(body);
    expect(typeof created.id).toBe('number');
    expect(created).toHaveProperty('created_at');
    expect(created).toHaveProperty('updated_at');
    const fetched = success(await curl('GET', `/api/get-asset-id/${created.id}`));
    expect(fetched.serial_number).toBe('SPEC-EX-0001');
  });

  it('PUT /api/edit-asset-id/1 changes the stored asset', async () => {
    const edited = success(await curl('PUT', '/api/edit-asset-id/1', { model: 'Edited by the spec example', year: 2022 }));
    expect(edited).toMatchObject({ id: 1, model: 'Edited by the spec example', year: 2022 });
    const fetched = success(await curl('GET', '/api/get-asset-id/1'));
    expect(fetched.model).toBe('Edited by the spec example');
  });

  it('PUT /api/grade/1/A with {"price": ...} updates the pricebook grade', async () => {
    const entry = success(await curl('PUT', '/api/grade/1/A', { price: 987.5 }));
    expect(entry.id).toBe(1);
    expect(entry.grade_price).toContainEqual({ grade: 'A', price: 987.5 });
  });

  it('POST /api/single-confirm confirms the new asset', async () => {
    const confirmed = success(await curl('POST', '/api/single-confirm', { asset_id: created.id }));
    expect(confirmed).toMatchObject({ id: created.id, status: 'confirmed' });
  });

  it('GET /api/by-org/2 lists only organization 2', async () => {
    const items = success(await curl('GET', '/api/by-org/2?per_page=50'));
    expect(items.length).toBeGreaterThan(0);
    for (const a of items) expect(a.organization_id).toBe(2);
  });

  it('GET /api/programs-list and GET /api/traking-list', async () => {
    const programs = success(await curl('GET', '/api/programs-list'));
    expect(programs.length).toBeGreaterThan(0);
    expect(programs[0]).toHaveProperty('name');
    const tracking = success(await curl('GET', '/api/traking-list'));
    expect(tracking.length).toBeGreaterThan(0);
  });

  it('POST /api/create-request for the new asset', async () => {
    const request = success(await curl('POST', '/api/create-request', { asset_ids: [created.id], request_type: 'pickup', notes: 'spec example' }), 201);
    expect(request).toMatchObject({ asset_ids: [created.id], request_type: 'pickup', status: 'pending' });
  });

  it("the simulator's errors come back in the gateway's error shape", async () => {
    const missing = await curl('GET', '/api/get-asset-id/999999');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: 'error', message: 'Asset not found', upstream_status: 404 });
    const invalid = await curl('POST', '/api/create', { make: 'No serial number' });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ status: 'error', upstream_status: 400, details: expect.any(Object) });
  });

  it('nothing in the log carries the password or a token', async () => {
    const out = proc.stdout();
    expect(out).not.toMatch(/"password":"secret"/);
    expect(out).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT-looking token
  });
});
