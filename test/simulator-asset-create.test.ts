// POST /v1/asset/create: field types, required fields, defaults, and that the asset is
// then readable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, client, manualClock, startSimulator, type Running } from './simulator-helpers.js';

const T0 = Date.UTC(2025, 7, 4, 10, 30, 0);

const FULL_BODY = {
  asset_type_id: 1,
  year: 2023,
  make: 'Dell',
  model: 'Latitude 7440',
  serial_number: '7XK2Q93',
  asset_damage_type_id: 1,
  damage_description: 'Hairline crack in the display',
  carrier: null,
  cpu: 'Intel Core i7-1365U',
  ram: '32GB',
  screen: '14in',
  purchase_date: '2023-05-17',
  asset_reference: 'ACME-00042',
  asset_user_first_name: 'Ada',
  asset_user_last_name: 'Lovelace',
  asset_user_address: '12 St James Square',
  asset_user_city: 'London',
  asset_user_state: 'Greater London',
  asset_user_postal_code: 'SW1Y 4JH',
  asset_user_country: 'GB',
  request_id: 7,
  archived: true,
  device_master_list_id: 3,
  service_provider_org_id: 1,
  asset_user_email: 'ada@example.com',
  asset_user_phone: '+44 20 7946 0000',
  end_of_life_date: '2027-05-17',
};

describe('POST /v1/asset/create', () => {
  const clock = manualClock(T0);
  let s: Running;
  let api: Awaited<ReturnType<typeof client>>;
  beforeAll(async () => {
    s = await startSimulator({ now: clock.now });
    api = await client(s.base);
  });
  afterAll(() => s.sim.close());

  it('creates an asset from the two required fields, the rest null', async () => {
    const res = await api.call('POST', '/v1/asset/create', { json: { serial_number: 'MIN-0001', asset_type_id: 3 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: 301,
      organization_id: 1,
      asset_type_id: 3,
      asset_type: 'Tablet',
      serial_number: 'MIN-0001',
      year: null,
      make: null,
      purchase_date: null,
      request_id: null,
      archived: false,
      status: 'pending',
      grade: null,
      confirmed_at: null,
      created_at: '2025-08-04T10:30:00.000Z',
      updated_at: '2025-08-04T10:30:00.000Z',
    });
    const read = await api.call('GET', '/v1/asset/301');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    const list = await api.call('GET', '/v1/asset?page_num=2&per_page=300');
    expect(list.headers.get('x-total-count')).toBe('301');
    expect(list.body.map((a: { id: number }) => a.id)).toEqual([301]);
  });

  it('stores every spec field as given', async () => {
    clock.advance(1000);
    const res = await api.call('POST', '/v1/asset/create', { json: FULL_BODY });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject(FULL_BODY);
    expect(res.body.id).toBe(302);
    expect(res.body.created_at).toBe('2025-08-04T10:30:01.000Z');
    expect((await api.call('GET', '/v1/asset/302')).body).toMatchObject(FULL_BODY);
  });

  it('ignores unknown fields and trims the serial number', async () => {
    const res = await api.call('POST', '/v1/asset/create', {
      json: { serial_number: '  TRIM-1  ', asset_type_id: 1, id: 9999, organization_id: 3, status: 'processed', color: 'red' },
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(303);
    expect(res.body.organization_id).toBe(1);
    expect(res.body.status).toBe('pending');
    expect(res.body.serial_number).toBe('TRIM-1');
    expect(res.body).not.toHaveProperty('color');
  });

  it('accepts null for the optional fields', async () => {
    const body = Object.fromEntries(Object.keys(FULL_BODY).map((k) => [k, null]));
    const res = await api.call('POST', '/v1/asset/create', { json: { ...body, archived: false, serial_number: 'NULLS-1', asset_type_id: 4 } });
    expect(res.status).toBe(201);
    expect(res.body.year).toBeNull();
    expect(res.body.asset_type).toBe('Desktop');
  });

  it.each([
    [{ asset_type_id: 1 }, 'serial_number', 'is required'],
    [{ serial_number: 'X' }, 'asset_type_id', 'is required'],
    [{ serial_number: '   ', asset_type_id: 1 }, 'serial_number', 'must not be empty'],
    [{ serial_number: null, asset_type_id: 1 }, 'serial_number', 'expected string, got null'],
    [{ serial_number: 'X', asset_type_id: '1' }, 'asset_type_id', 'expected number, got string'],
    [{ serial_number: 'X', asset_type_id: 1.5 }, 'asset_type_id', 'expected integer, got number'],
    [{ serial_number: 'X', asset_type_id: 99 }, 'asset_type_id', 'must be a known asset type: 1 (Laptop), 2 (Smartphone), 3 (Tablet), 4 (Desktop)'],
    [{ serial_number: 'X', asset_type_id: 1, year: '2023' }, 'year', 'expected number, got string'],
    [{ serial_number: 'X', asset_type_id: 1, year: 1850 }, 'year', 'must be between 1970 and 2100'],
    [{ serial_number: 'X', asset_type_id: 1, archived: 'yes' }, 'archived', 'expected boolean, got string'],
    [{ serial_number: 'X', asset_type_id: 1, archived: null }, 'archived', 'expected boolean, got null'],
    [{ serial_number: 'X', asset_type_id: 1, purchase_date: '2023-02-30' }, 'purchase_date', 'must be a date in YYYY-MM-DD format'],
    [{ serial_number: 'X', asset_type_id: 1, end_of_life_date: '2027-05-17T00:00:00Z' }, 'end_of_life_date', 'must be a date in YYYY-MM-DD format'],
    [{ serial_number: 'X', asset_type_id: 1, asset_damage_type_id: 42 }, 'asset_damage_type_id', 'must be a known damage type id (1, 2, 3, 4, 5, 6) or null'],
    [{ serial_number: 'X', asset_type_id: 1, request_id: -3 }, 'request_id', 'must be > 0'],
    [{ serial_number: 'X', asset_type_id: 1, asset_user_email: 'not-an-email' }, 'asset_user_email', 'must be an email address'],
    [{ serial_number: 'X', asset_type_id: 1, make: 12 }, 'make', 'expected string, got number'],
    [{ serial_number: 'X', asset_type_id: 1, model: 'M'.repeat(101) }, 'model', 'must be at most 100 characters'],
    [{ serial_number: 'X'.repeat(65), asset_type_id: 1 }, 'serial_number', 'must be at most 64 characters'],
  ])('answers 400 for %j', async (json, field, message) => {
    const res = await api.call('POST', '/v1/asset/create', { json });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'Invalid request body', errors: [{ field, message }] });
  });

  it('lists every bad field at once', async () => {
    const res = await api.call('POST', '/v1/asset/create', { json: { year: 'x', archived: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['archived', 'asset_type_id', 'serial_number', 'year']);
  });

  it.each([
    ['an array', '[{"serial_number":"X","asset_type_id":1}]'],
    ['null', 'null'],
    ['a string', '"X"'],
    ['a number', '42'],
  ])('answers 400 when the body is %s', async (_label, raw) => {
    const res = await api.call('POST', '/v1/asset/create', { raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Request body must be a JSON object');
    expect(res.body.errors[0].field).toBe('body');
  });

  it('did not store anything for the refused requests', async () => {
    const res = await api.call('GET', '/v1/asset?per_page=1');
    expect(res.headers.get('x-total-count')).toBe('304');
  });

  it('needs the token headers', async () => {
    const res = await call(s.base, 'POST', '/v1/asset/create', { json: { serial_number: 'X', asset_type_id: 1 } });
    expect(res.status).toBe(401);
  });
});
