// GET /api/list: every loaded definition in the contract's shape, sorted by name.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';

/** The spec's "Supported APIs" table, row for row. */
const SPEC_TABLE = [
  { name: 'auth-signin', method: 'POST', path: '/v1/auth/signin', description: 'Authenticate user' },
  { name: 'get-all', method: 'GET', path: '/v1/asset', description: 'Get all Assets' },
  { name: 'get-asset-id', method: 'GET', path: '/v1/asset/{id}', description: 'Get Asset by ID' },
  { name: 'create', method: 'POST', path: '/v1/asset/create', description: 'Create a new Asset' },
  { name: 'create-request', method: 'POST', path: '/v1/asset/request', description: 'Create an Asset request' },
  { name: 'edit-asset-id', method: 'PUT', path: '/v1/asset/{id}', description: 'Edit an Asset' },
  { name: 'grade', method: 'PUT', path: '/v1/pricebook/{id}/{grade}', description: 'Update pricebook grade' },
  { name: 'single-confirm', method: 'POST', path: '/v1/asset/confirm', description: 'Confirm single asset' },
  { name: 'by-org', method: 'GET', path: '/v1/asset/org/{org_id}', description: 'Get assets by organization' },
  { name: 'programs-list', method: 'GET', path: '/v1/programs', description: 'List programs' },
  { name: 'traking-list', method: 'GET', path: '/v1/tracking', description: 'List tracking items' },
];

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gw = await startGateway(upstream.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('GET /api/list', () => {
  it('lists the 11 shipped APIs of the spec, sorted by name, with exactly name/method/path/description', async () => {
    const res = await fetch(`${gw.url}/api/list`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { status: string; apis: Record<string, unknown>[] };
    expect(Object.keys(body).sort()).toEqual(['apis', 'status']);
    expect(body.status).toBe('success');

    const names = body.apis.map((a) => a.name);
    expect(names).toEqual([
      'auth-signin',
      'by-org',
      'create',
      'create-request',
      'edit-asset-id',
      'get-all',
      'get-asset-id',
      'grade',
      'programs-list',
      'single-confirm',
      'traking-list',
    ]);
    for (const api of body.apis) expect(Object.keys(api).sort()).toEqual(['description', 'method', 'name', 'path']);
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    expect(body.apis).toEqual([...SPEC_TABLE].sort(byName));
  });

  it('is answered by the gateway alone', async () => {
    await fetch(`${gw.url}/api/list`);
    expect(upstream.requests).toHaveLength(0);
  });

  it.each(['POST', 'PUT', 'DELETE'])('%s /api/list is 405 with Allow: GET', async (method) => {
    const res = await fetch(`${gw.url}/api/list`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toMatch(/\bGET\b/);
    expect(await res.json()).toMatchObject({ status: 'error', message: expect.any(String) });
  });
});

describe('GET /api/list with another definitions folder', () => {
  let dir: string;
  let other: StartedGateway;

  beforeAll(async () => {
    dir = await makeApisDir({
      shipped: false,
      files: {
        'zeta-report.json': { method: 'GET', path: '/v1/reports/zeta', description: 'Zeta report' },
        'alpha-sync.json': { method: 'POST', path: '/v1/sync/{id}', description: 'Start a sync', params: { id: 'integer' }, timeout_ms: 5000 },
      },
    });
    other = await startGateway(upstream.url, { env: { EVERCYCLE_APIS_DIR: dir } });
  });
  afterAll(async () => {
    await other?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists what EVERCYCLE_APIS_DIR holds, and only the four contract fields', async () => {
    const body = (await (await fetch(`${other.url}/api/list`)).json()) as unknown;
    expect(body).toEqual({
      status: 'success',
      apis: [
        { name: 'alpha-sync', method: 'POST', path: '/v1/sync/{id}', description: 'Start a sync' },
        { name: 'zeta-report', method: 'GET', path: '/v1/reports/zeta', description: 'Zeta report' },
      ],
    });
  });
});
