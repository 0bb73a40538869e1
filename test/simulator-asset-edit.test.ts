// PUT /v1/asset/{id}: partial updates that a later GET shows, with updated_at bumped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, manualClock, startSimulator, type Running } from './simulator-helpers.js';

const T0 = Date.UTC(2025, 8, 1, 8, 0, 0);

describe('PUT /v1/asset/{id}', () => {
  const clock = manualClock(T0);
  let s: Running;
  let api: Awaited<ReturnType<typeof client>>;
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now });
    api = await client(s.base);
  });
  afterAll(() => s.sim.close());

  it('changes only the given fields and bumps updated_at', async () => {
    // Read it first through every path, so any cached copy would be stale afterwards.
    await api.call('GET', '/v1/asset?per_page=10');
    const before = (await api.call('GET', '/v1/asset/5')).body;
    clock.advance(5_000);
    const res = await api.call('PUT', '/v1/asset/5', {
      json: { make: 'Lenovo', model: 'ThinkPad T14 Gen 3', archived: true, asset_user_city: null, purchase_date: '2022-03-01' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...before,
      make: 'Lenovo',
      model: 'ThinkPad T14 Gen 3',
      archived: true,
      asset_user_city: null,
      purchase_date: '2022-03-01',
      updated_at: '2025-09-01T08:00:05.000Z',
    });
    expect((await api.call('GET', '/v1/asset/5')).body).toEqual(res.body);
    const listed = (await api.call('GET', '/v1/asset?per_page=10')).body.find((a: { id: number }) => a.id === 5);
    expect(listed).toEqual(res.body);
    const byOrg = (await api.call('GET', `/v1/asset/org/${before.organization_id}?per_page=500`)).body.find((a: { id: number }) => a.id === 5);
    expect(byOrg).toEqual(res.body);
  });

  it('keeps asset_type in step with asset_type_id', async () => {
    const res = await api.call('PUT', '/v1/asset/6', { json: { asset_type_id: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.asset_type_id).toBe(2);
    expect(res.body.asset_type).toBe('Smartphone');
  });

  it('moves updated_at forward even when the clock has not moved', async () => {
    const first = await api.call('PUT', '/v1/asset/7', { json: { ram: '16GB' } });
    const second = await api.call('PUT', '/v1/asset/7', { json: { ram: '32GB' } });
    expect(Date.parse(second.body.updated_at)).toBeGreaterThan(Date.parse(first.body.updated_at));
    expect(second.body.ram).toBe('32GB');
  });

  it('edits an asset created through the API', async () => {
    const created = await api.call('POST', '/v1/asset/create', { json: { serial_number: 'EDIT-1', asset_type_id: 1 } });
    clock.advance(60_000);
    const res = await api.call('PUT', `/v1/asset/${created.body.id}`, { json: { serial_number: 'EDIT-2', year: 2024 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ serial_number: 'EDIT-2', year: 2024, created_at: created.body.created_at });
    expect(Date.parse(res.body.updated_at) - Date.parse(created.body.updated_at)).toBe(60_000);
  });

  it.each([
    [{ serial_number: null }, 'serial_number'],
    [{ asset_type_id: null }, 'asset_type_id'],
    [{ asset_type_id: 9 }, 'asset_type_id'],
    [{ year: 'new' }, 'year'],
    [{ archived: 'true' }, 'archived'],
    [{ end_of_life_date: '31/12/2027' }, 'end_of_life_date'],
  ])('answers 400 for %j and changes nothing', async (json, field) => {
    const before = (await api.call('GET', '/v1/asset/10')).body;
    const res = await api.call('PUT', '/v1/asset/10', { json });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    expect((await api.call('GET', '/v1/asset/10')).body).toEqual(before);
  });

  it('answers 400 for a body with no known field', async () => {
    for (const json of [{}, { colour: 'red' }]) {
      const res = await api.call('PUT', '/v1/asset/10', { json });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('Request body must contain at least one asset field');
    }
  });

  it('answers 400 for a body that is not a JSON object', async () => {
    const res = await api.call('PUT', '/v1/asset/10', { raw: '[1]', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Request body must be a JSON object');
  });

  it('answers 404 for an unknown id and 400 for a non-numeric one', async () => {
    const missing = await api.call('PUT', '/v1/asset/5000', { json: { make: 'Apple' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Asset not found' });
    const bad = await api.call('PUT', '/v1/asset/five', { json: { make: 'Apple' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('id must be a positive integer');
  });
});
