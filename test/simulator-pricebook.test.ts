// PUT /v1/pricebook/{id}/{grade} {"price"}: set or add a grade's price; answers the
// pricebook entry with its grade_price array.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, manualClock, startSimulator, type Running } from './simulator-helpers.js';

const T0 = Date.UTC(2025, 11, 1, 9, 0, 0);

describe('PUT /v1/pricebook/{id}/{grade}', () => {
  const clock = manualClock(T0);
  let s: Running;
  let api: Awaited<ReturnType<typeof client>>;
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now });
    api = await client(s.base);
  });
  afterAll(() => s.sim.close());

  it('updates an existing grade and answers the whole entry', async () => {
    const res = await api.call('PUT', '/v1/pricebook/1/B', { json: { price: 905.5 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: 1,
      device_master_list_id: 1,
      asset_type_id: 1,
      make: 'Apple',
      model: 'MacBook Pro 14',
      currency: 'USD',
      grade_price: [
        { grade: 'A', price: 1150 },
        { grade: 'B', price: 905.5 },
        { grade: 'C', price: 598 },
        { grade: 'D', price: 253 },
      ],
      updated_at: '2025-12-01T09:00:00.000Z',
    });
  });

  it('keeps earlier changes and does not duplicate a grade', async () => {
    clock.advance(1_000);
    const res = await api.call('PUT', '/v1/pricebook/1/D', { json: { price: 0 } });
    expect(res.body.grade_price).toEqual([
      { grade: 'A', price: 1150 },
      { grade: 'B', price: 905.5 },
      { grade: 'C', price: 598 },
      { grade: 'D', price: 0 },
    ]);
    expect(res.body.updated_at).toBe('2025-12-01T09:00:01.000Z');
    const again = await api.call('PUT', '/v1/pricebook/1/D', { json: { price: 10 } });
    expect(again.body.grade_price.filter((g: { grade: string }) => g.grade === 'D')).toEqual([{ grade: 'D', price: 10 }]);
  });

  it('adds a grade it does not have yet, including encoded names', async () => {
    const plus = await api.call('PUT', '/v1/pricebook/9/A%2B', { json: { price: 450 } });
    expect(plus.status).toBe(200);
    expect(plus.body.model).toBe('iPhone 14');
    expect(plus.body.grade_price.map((g: { grade: string }) => g.grade)).toEqual(['A', 'B', 'C', 'D', 'A+']);
    expect(plus.body.grade_price.at(-1)).toEqual({ grade: 'A+', price: 450 });
    const spaced = await api.call('PUT', '/v1/pricebook/9/For%20Parts', { json: { price: 12.25 } });
    expect(spaced.body.grade_price.at(-1)).toEqual({ grade: 'For Parts', price: 12.25 });
    expect(spaced.body.grade_price).toHaveLength(6);
  });

  it('treats grade names as case-sensitive', async () => {
    const res = await api.call('PUT', '/v1/pricebook/2/a', { json: { price: 1 } });
    expect(res.body.grade_price.map((g: { grade: string }) => g.grade)).toEqual(['A', 'B', 'C', 'D', 'a']);
  });

  it('answers 404 for an unknown pricebook id', async () => {
    for (const id of ['21', '0', '999']) {
      const res = await api.call('PUT', `/v1/pricebook/${id}/A`, { json: { price: 1 } });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ message: 'Pricebook entry not found' });
    }
  });

  it('answers 400 for a non-numeric id', async () => {
    const res = await api.call('PUT', '/v1/pricebook/iphone/A', { json: { price: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('id must be a positive integer');
  });

  it.each(['A!', 'A%2FB', 'G'.repeat(21), '%C3%A9', 'A.B'])('answers 400 for the grade name %s', async (grade) => {
    const res = await api.call('PUT', `/v1/pricebook/1/${grade}`, { json: { price: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Invalid grade name');
  });

  it.each([
    [{}, 'is required'],
    [{ price: -0.01 }, 'must be 0 or more'],
    [{ price: '10' }, 'expected number, got string'],
    [{ price: null }, 'expected number, got null'],
    [{ price: 1e9 }, 'must be at most 10000000'],
  ])('answers 400 for the body %j', async (json, message) => {
    const res = await api.call('PUT', '/v1/pricebook/1/A', { json });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'price', message }]);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await api.call('PUT', '/v1/pricebook/1/A', { raw: 'price=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Content-Type must be application/json');
  });

  it('left grade A untouched through all the refused calls', async () => {
    const res = await api.call('PUT', '/v1/pricebook/1/C', { json: { price: 598 } });
    expect(res.body.grade_price[0]).toEqual({ grade: 'A', price: 1150 });
  });
});
