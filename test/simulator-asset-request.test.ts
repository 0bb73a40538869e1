// POST /v1/asset/request {"asset_ids", "request_type", "notes"?}: a pending request that
// the listed assets then point to through request_id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeed } from '../src/simulator/seed.js';
import { client, manualClock, startSimulator, type Running } from './simulator-helpers.js';

const T0 = Date.UTC(2025, 10, 3, 15, 0, 0);
const SEEDED_REQUESTS = buildSeed().requests.length;

describe('POST /v1/asset/request', () => {
  const clock = manualClock(T0);
  let s: Running;
  let api: Awaited<ReturnType<typeof client>>;
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now });
    api = await client(s.base);
    // Read everything once first, so a stale cached copy would show after the writes.
    await api.call('GET', '/v1/asset?per_page=500');
  });
  afterAll(() => s.sim.close());

  it('creates a pending request and links the assets to it', async () => {
    const res = await api.call('POST', '/v1/asset/request', { json: { asset_ids: [3, 1, 2], request_type: 'pickup', notes: 'Dock B' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: SEEDED_REQUESTS + 1,
      organization_id: expect.any(Number),
      request_type: 'pickup',
      status: 'pending',
      asset_ids: [3, 1, 2],
      notes: 'Dock B',
      requested_by: 'user@example.com',
      created_at: '2025-11-03T15:00:00.000Z',
    });
    for (const id of [1, 2, 3]) {
      const asset = (await api.call('GET', `/v1/asset/${id}`)).body;
      expect(asset.request_id).toBe(SEEDED_REQUESTS + 1);
      expect(Date.parse(asset.updated_at)).toBeGreaterThanOrEqual(T0);
    }
  });

  it('numbers requests in sequence and defaults notes to null', async () => {
    const res = await api.call('POST', '/v1/asset/request', { json: { asset_ids: [10], request_type: 'resale' } });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(SEEDED_REQUESTS + 2);
    expect(res.body.notes).toBeNull();
  });

  it('belongs to the organization of the assets', async () => {
    const northwind = (await api.call('GET', '/v1/asset/org/2?per_page=2')).body.map((a: { id: number }) => a.id);
    const res = await api.call('POST', '/v1/asset/request', { json: { asset_ids: northwind, request_type: 'recycle' } });
    expect(res.body.organization_id).toBe(2);
  });

  it('answers 404 naming the unknown ids, and creates nothing', async () => {
    const before = (await api.call('GET', '/v1/asset/4')).body;
    const res = await api.call('POST', '/v1/asset/request', { json: { asset_ids: [4, 9001, 9002], request_type: 'recycle' } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: 'Asset not found', asset_ids: [9001, 9002] });
    expect((await api.call('GET', '/v1/asset/4')).body).toEqual(before);
    const next = await api.call('POST', '/v1/asset/request', { json: { asset_ids: [4], request_type: 'recycle' } });
    expect(next.body.id).toBe(SEEDED_REQUESTS + 4);
  });

  it.each([
    [{ request_type: 'pickup' }, 'asset_ids', 'is required'],
    [{ asset_ids: [], request_type: 'pickup' }, 'asset_ids', 'must list at least one asset id'],
    [{ asset_ids: [1, 1], request_type: 'pickup' }, 'asset_ids', 'must not list an asset id twice'],
    [{ asset_ids: '1,2', request_type: 'pickup' }, 'asset_ids', 'must be an array of asset ids'],
    [{ asset_ids: [1, 'two'], request_type: 'pickup' }, 'asset_ids.1', 'expected number, got string'],
    [{ asset_ids: [1] }, 'request_type', 'is required'],
    [{ asset_ids: [1], request_type: 'donate' }, 'request_type', 'must be one of: pickup, recycle, resale'],
    [{ asset_ids: [1], request_type: 'pickup', notes: 5 }, 'notes', 'expected string, got number'],
  ])('answers 400 for %j', async (json, field, message) => {
    const res = await api.call('POST', '/v1/asset/request', { json });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message }]);
  });

  it('refuses more than 500 ids', async () => {
    const asset_ids = Array.from({ length: 501 }, (_, i) => i + 1);
    const res = await api.call('POST', '/v1/asset/request', { json: { asset_ids, request_type: 'recycle' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toEqual({ field: 'asset_ids', message: 'must list at most 500 asset ids' });
  });
});
