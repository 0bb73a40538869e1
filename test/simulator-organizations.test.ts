// GET /v1/asset/org/{org_id} and who sees what: the demo user (service provider) sees all
// five organizations; a customer account sees only its own, and the rest answers 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startSimulator, type Running, signedInSimulator } from './simulator-helpers.js';

/** Seeded assets per organization id. */
const ORG_SIZES: Record<number, number> = { 1: 18, 2: 96, 3: 82, 4: 62, 5: 42 };
const NORTHWIND = { username: 'it-admin@northwind.example', password: 'secret' };

describe('GET /v1/asset/org/{org_id} as the service provider', () => {
  const ctx = signedInSimulator();

  it('lists each organization\'s assets, in id order, adding up to all 300', async () => {
    let sum = 0;
    for (const [org, size] of Object.entries(ORG_SIZES)) {
      const res = await ctx.api.call('GET', `/v1/asset/org/${org}?per_page=500`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-total-count')).toBe(String(size));
      expect(res.body).toHaveLength(size);
      expect(res.body.every((a: { organization_id: number }) => a.organization_id === Number(org))).toBe(true);
      const ids = res.body.map((a: { id: number }) => a.id);
      expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
      sum += size;
    }
    expect(sum).toBe(300);
  });

  it('pages like GET /v1/asset', async () => {
    const all = (await ctx.api.call('GET', '/v1/asset/org/2?per_page=500')).body.map((a: { id: number }) => a.id);
    const page = await ctx.api.call('GET', '/v1/asset/org/2?page_num=10&per_page=10');
    expect(page.body.map((a: { id: number }) => a.id)).toEqual(all.slice(90, 96));
    expect(page.headers.get('x-total-count')).toBe('96');
    const defaults = await ctx.api.call('GET', '/v1/asset/org/2');
    expect(defaults.body.map((a: { id: number }) => a.id)).toEqual(all.slice(0, 50));
    const past = await ctx.api.call('GET', '/v1/asset/org/2?page_num=3');
    expect(past.body).toEqual([]);
    const bad = await ctx.api.call('GET', '/v1/asset/org/2?per_page=501');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('per_page');
  });

  it.each(['6', '0', '99999'])('answers 404 for the unknown organization %s', async (org) => {
    const res = await ctx.api.call('GET', `/v1/asset/org/${org}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Organization not found' });
  });

  it.each(['abc', '-2', '2.0'])('answers 400 for the non-numeric organization %s', async (org) => {
    const res = await ctx.api.call('GET', `/v1/asset/org/${org}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('org_id must be a positive integer');
  });

  it('puts an asset created by the demo user in organization 1', async () => {
    const created = await ctx.api.call('POST', '/v1/asset/create', { json: { serial_number: 'ORG-TEST-1', asset_type_id: 2 } });
    expect(created.status).toBe(201);
    expect(created.body.organization_id).toBe(1);
    const org1 = await ctx.api.call('GET', '/v1/asset/org/1?per_page=500');
    expect(org1.headers.get('x-total-count')).toBe('19');
    expect(org1.body.at(-1).id).toBe(created.body.id);
  });
});

describe('a customer account', () => {
  let s: Running;
  let api: Awaited<ReturnType<typeof client>>;
  let demo: Awaited<ReturnType<typeof client>>;
  beforeAll(async () => {
    s = await startSimulator();
    api = await client(s.base, NORTHWIND);
    demo = await client(s.base);
  });
  afterAll(() => s.sim.close());

  it('sees only its organization in GET /v1/asset', async () => {
    const res = await api.call('GET', '/v1/asset?per_page=500');
    expect(res.headers.get('x-total-count')).toBe('96');
    expect(res.body.every((a: { organization_id: number }) => a.organization_id === 2)).toBe(true);
  });

  it('gets 404 for another organization and its assets', async () => {
    expect((await api.call('GET', '/v1/asset/org/2')).status).toBe(200);
    const other = await api.call('GET', '/v1/asset/org/3');
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ message: 'Organization not found' });

    const contosoAsset = (await demo.call('GET', '/v1/asset/org/3?per_page=1')).body[0];
    for (const [method, path, json] of [
      ['GET', `/v1/asset/${contosoAsset.id}`, undefined],
      ['PUT', `/v1/asset/${contosoAsset.id}`, { make: 'Hacked' }],
      ['POST', '/v1/asset/confirm', { asset_id: contosoAsset.id }],
      ['POST', '/v1/asset/request', { asset_ids: [contosoAsset.id], request_type: 'recycle' }],
    ] as const) {
      const res = await api.call(method, path, json === undefined ? {} : { json });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // Nothing changed behind the 404s.
    expect((await demo.call('GET', `/v1/asset/${contosoAsset.id}`)).body).toEqual(contosoAsset);
  });

  it('sees only its programs and shipments', async () => {
    const programs = await api.call('GET', '/v1/programs');
    expect(programs.body.map((p: { id: number }) => p.id)).toEqual([1, 2]);
    const tracking = await api.call('GET', '/v1/tracking');
    expect(tracking.body.length).toBeGreaterThan(0);
    expect(tracking.body.every((t: { organization_id: number }) => t.organization_id === 2)).toBe(true);
    const all = await demo.call('GET', '/v1/tracking');
    expect(all.body.filter((t: { organization_id: number }) => t.organization_id === 2)).toEqual(tracking.body);
  });

  it('creates assets in its own organization', async () => {
    const res = await api.call('POST', '/v1/asset/create', { json: { serial_number: 'NW-NEW-1', asset_type_id: 1 } });
    expect(res.status).toBe(201);
    expect(res.body.organization_id).toBe(2);
    expect((await api.call('GET', '/v1/asset/org/2')).headers.get('x-total-count')).toBe('97');
  });
});
