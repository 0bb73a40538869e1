// POST /v1/asset/confirm {"asset_id"}: pending or in-use assets become "confirmed";
// confirming again, or an asset already further along, changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, manualClock, startSimulator, type Running } from './simulator-helpers.js';

const T0 = Date.UTC(2025, 9, 1, 12, 0, 0);

interface AssetLike {
  id: number;
  status: string;
  confirmed_at: string | null;
  updated_at: string;
}

describe('POST /v1/asset/confirm', () => {
  const clock = manualClock(T0);
  let s: Running;
  let api: Awaited<ReturnType<typeof client>>;
  let all: AssetLike[];
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now });
    api = await client(s.base);
    all = (await api.call('GET', '/v1/asset?per_page=500')).body;
  });
  afterAll(() => s.sim.close());

  const firstWith = (status: string): AssetLike => {
    const found = all.find((a) => a.status === status);
    if (!found) throw new Error(`no seeded asset is ${status}`);
    return found;
  };

  it('confirms a pending asset', async () => {
    const pending = firstWith('pending');
    expect(pending.confirmed_at).toBeNull();
    const res = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: pending.id } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: pending.id, status: 'confirmed', confirmed_at: '2025-10-01T12:00:00.000Z', updated_at: '2025-10-01T12:00:00.000Z' });
    expect((await api.call('GET', `/v1/asset/${pending.id}`)).body.status).toBe('confirmed');
  });

  it('confirms an in-use asset', async () => {
    const inUse = firstWith('in_use');
    const res = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: inUse.id } });
    expect(res.body.status).toBe('confirmed');
  });

  it('is idempotent', async () => {
    const pending = all.filter((a) => a.status === 'pending')[1]!;
    const first = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: pending.id } });
    clock.advance(60_000);
    const second = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: pending.id } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it('leaves an asset already past confirmation as it is', async () => {
    for (const status of ['in_transit', 'received', 'processed']) {
      const asset = firstWith(status);
      const res = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: asset.id } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(asset);
    }
  });

  it('confirms an asset created through the API', async () => {
    const created = await api.call('POST', '/v1/asset/create', { json: { serial_number: 'CONF-1', asset_type_id: 2 } });
    expect(created.body.status).toBe('pending');
    clock.advance(1_000);
    const res = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: created.body.id } });
    expect(res.body.status).toBe('confirmed');
    expect(Date.parse(res.body.confirmed_at) - Date.parse(created.body.created_at)).toBe(1_000);
  });

  it('answers 404 for an unknown asset', async () => {
    const res = await api.call('POST', '/v1/asset/confirm', { json: { asset_id: 4242 } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Asset not found' });
  });

  it.each([[{}], [{ asset_id: '1' }], [{ asset_id: 0 }], [{ asset_id: 1.2 }], [{ id: 1 }]])('answers 400 for %j', async (json) => {
    const res = await api.call('POST', '/v1/asset/confirm', { json });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('asset_id');
  });
});
