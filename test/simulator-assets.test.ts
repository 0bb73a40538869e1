// GET /v1/asset (pagination, X-Total-Count) and GET /v1/asset/{id}, as the demo user
// (a service-provider account that sees all 300 seeded assets).
import { describe, expect, it } from 'vitest';
import { signedInSimulator } from './simulator-helpers.js';

const SEEDED_ASSETS = 300;

/** Every field the spec lists for create, plus what the API adds. */
const ASSET_KEYS = [
  'id', 'organization_id', 'asset_type_id', 'asset_type', 'year', 'make', 'model', 'serial_number', 'asset_damage_type_id',
  'damage_description', 'carrier', 'cpu', 'ram', 'screen', 'purchase_date', 'asset_reference', 'asset_user_first_name',
  'asset_user_last_name', 'asset_user_address', 'asset_user_city', 'asset_user_state', 'asset_user_postal_code',
  'asset_user_country', 'request_id', 'archived', 'device_master_list_id', 'service_provider_org_id', 'asset_user_email',
  'asset_user_phone', 'end_of_life_date', 'status', 'grade', 'confirmed_at', 'created_at', 'updated_at',
];

const ids = (list: { id: number }[]) => list.map((a) => a.id);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /v1/asset', () => {
  const ctx = signedInSimulator();

  it('answers the first 50 assets as a JSON array with X-Total-Count', async () => {
    const res = await ctx.api.call('GET', '/v1/asset');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(ids(res.body)).toEqual(range(1, 50));
    expect(res.headers.get('x-total-count')).toBe(String(SEEDED_ASSETS));
  });

  it('gives every asset the documented fields in a fixed order', async () => {
    const res = await ctx.api.call('GET', '/v1/asset?per_page=500');
    expect(res.body).toHaveLength(SEEDED_ASSETS);
    for (const asset of res.body) expect(Object.keys(asset)).toEqual(ASSET_KEYS);
    const first = res.body[0];
    expect(first.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(first.purchase_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(typeof first.archived).toBe('boolean');
  });

  it.each([
    ['page_num=1&per_page=10', range(1, 10)],
    ['page_num=2&per_page=100', range(101, 200)],
    ['page_num=3&per_page=128', range(257, 300)],
    ['page_num=6&per_page=50', range(251, 300)],
    ['per_page=1&page_num=300', [300]],
    ['page_num=2', range(51, 100)],
    ['per_page=7', range(1, 7)],
    ['per_page=500', range(1, 300)],
    ['page_num=007&per_page=010', range(61, 70)],
  ])('pages %s', async (query, expected) => {
    const res = await ctx.api.call('GET', `/v1/asset?${query}`);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(expected);
    expect(res.headers.get('x-total-count')).toBe('300');
  });

  it.each(['page_num=7', 'page_num=2&per_page=300', 'page_num=301&per_page=1', `page_num=${'9'.repeat(30)}`])(
    'answers [] past the end (%s)',
    async (query) => {
      const res = await ctx.api.call('GET', `/v1/asset?${query}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
      expect(res.headers.get('x-total-count')).toBe('300');
    },
  );

  it.each([
    ['page_num=0', 'page_num'],
    ['page_num=-1', 'page_num'],
    ['page_num=1.5', 'page_num'],
    ['page_num=abc', 'page_num'],
    ['page_num=', 'page_num'],
    ['page_num=1e2', 'page_num'],
    ['page_num=1&page_num=2', 'page_num'],
    ['per_page=0', 'per_page'],
    ['per_page=501', 'per_page'],
    ['per_page=%201', 'per_page'],
    ['per_page=ten', 'per_page'],
  ])('answers 400 for %s', async (query, field) => {
    const res = await ctx.api.call('GET', `/v1/asset?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid query parameter');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  it('reports both bad parameters at once', async () => {
    const res = await ctx.api.call('GET', '/v1/asset?page_num=0&per_page=1000');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'page_num', message: 'must be a positive integer' },
      { field: 'per_page', message: 'must be an integer from 1 to 500' },
    ]);
  });

  it('ignores unknown query parameters', async () => {
    const res = await ctx.api.call('GET', '/v1/asset?per_page=3&sort=desc&status=processed');
    expect(ids(res.body)).toEqual([1, 2, 3]);
  });
});

describe('GET /v1/asset/{id}', () => {
  const ctx = signedInSimulator();

  it('answers the same object the list shows', async () => {
    const list = await ctx.api.call('GET', '/v1/asset?page_num=3&per_page=100');
    const expected = list.body.find((a: { id: number }) => a.id === 250);
    const res = await ctx.api.call('GET', '/v1/asset/250');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected);
  });

  it('finds the first and the last seeded asset', async () => {
    expect((await ctx.api.call('GET', '/v1/asset/1')).body.id).toBe(1);
    expect((await ctx.api.call('GET', '/v1/asset/300')).body.id).toBe(300);
  });

  it.each(['301', '0', '999999', '00000', '9'.repeat(40)])('answers 404 for the unknown id %s', async (id) => {
    const res = await ctx.api.call('GET', `/v1/asset/${id}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Asset not found' });
  });

  it.each(['abc', '-1', '1.5', '1e3', '0x10', '%201', 'create'])('answers 400 for the non-numeric id %s', async (id) => {
    const res = await ctx.api.call('GET', `/v1/asset/${id}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('id must be a positive integer');
  });
});
