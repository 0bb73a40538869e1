// The seed is deterministic and realistic, and each simulator owns its own copy.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildSeed, SEED_BASE_MS } from '../src/simulator/seed.js';
import { client, startSimulator } from './simulator-helpers.js';

describe('seed data', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('does not depend on the clock or Math.random', () => {
    const reference = JSON.stringify(buildSeed());
    vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('seed read the clock');
    });
    vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('seed used Math.random');
    });
    expect(JSON.stringify(buildSeed())).toBe(reference);
  });

  it('builds fresh objects on every call', () => {
    const a = buildSeed();
    const b = buildSeed();
    expect(a).toEqual(b);
    expect(a.assets[0]).not.toBe(b.assets[0]);
    expect(a.pricebook[0]!.grade_price).not.toBe(b.pricebook[0]!.grade_price);
  });

  it('has 300 assets across 5 organizations, ids 1..300', () => {
    const { assets, organizations } = buildSeed();
    expect(assets).toHaveLength(300);
    expect(assets.map((a) => a.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(organizations.map((o) => [o.id, o.name, o.type])).toEqual([
      [1, 'Greenloop ITAD Services', 'service_provider'],
      [2, 'Northwind Traders', 'customer'],
      [3, 'Contoso Health', 'customer'],
      [4, 'Fabrikam Logistics', 'customer'],
      [5, 'Tailspin Studios', 'customer'],
    ]);
    const perOrg = new Map<number, number>();
    for (const a of assets) perOrg.set(a.organization_id, (perOrg.get(a.organization_id) ?? 0) + 1);
    expect(Object.fromEntries(perOrg)).toEqual({ 1: 18, 2: 96, 3: 82, 4: 62, 5: 42 });
  });

  it('pins the seeded world (a change here is a change of the sandbox data)', () => {
    const { assets, requests, tracking, programs, pricebook } = buildSeed();
    const statuses: Record<string, number> = {};
    for (const a of assets) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    expect(statuses).toEqual({ in_use: 108, pending: 21, confirmed: 53, in_transit: 21, received: 28, processed: 69 });
    expect([requests.length, tracking.length, programs.length, pricebook.length]).toEqual([39, 40, 7, 20]);
    expect(assets[0]).toMatchObject({ id: 1, serial_number: 'C025DWKJNKY4', asset_reference: 'GLI-00015', created_at: expect.stringMatching(/^2021-/) });
    expect(assets[299]!.updated_at <= new Date(SEED_BASE_MS).toISOString()).toBe(true);
  });

  it('uses real makes and models of laptops, phones, tablets and desktops', () => {
    const { assets } = buildSeed();
    const models = new Set(assets.map((a) => `${a.make} ${a.model}`));
    for (const m of ['Apple MacBook Pro 14', 'Dell Latitude 7440', 'Lenovo ThinkPad T14 Gen 3', 'Apple iPhone 14', 'Samsung Galaxy S23', 'Apple iPad Air (5th generation)']) {
      expect(models).toContain(m);
    }
    expect(new Set(assets.map((a) => a.asset_type))).toEqual(new Set(['Laptop', 'Smartphone', 'Tablet', 'Desktop']));
    expect(new Set(assets.map((a) => a.status))).toEqual(new Set(['in_use', 'pending', 'confirmed', 'in_transit', 'received', 'processed']));
  });

  it('keeps serial numbers unique and asset fields consistent', () => {
    const { assets, organizations } = buildSeed();
    expect(new Set(assets.map((a) => a.serial_number)).size).toBe(assets.length);
    const orgCreated = new Map(organizations.map((o) => [o.id, Date.parse(o.created_at)]));
    let previousCreated = 0;
    for (const a of assets) {
      const created = Date.parse(a.created_at);
      const updated = Date.parse(a.updated_at);
      expect(created).toBeGreaterThanOrEqual(previousCreated); // ids follow creation time
      previousCreated = created;
      expect(created).toBeGreaterThanOrEqual(orgCreated.get(a.organization_id)!);
      expect(updated).toBeGreaterThanOrEqual(created);
      expect(updated).toBeLessThanOrEqual(SEED_BASE_MS);
      expect(a.purchase_date! <= a.created_at.slice(0, 10)).toBe(true);
      expect(a.end_of_life_date! > a.purchase_date!).toBe(true);
      if (a.confirmed_at) {
        expect(Date.parse(a.confirmed_at)).toBeGreaterThanOrEqual(created);
        expect(Date.parse(a.confirmed_at)).toBeLessThanOrEqual(updated);
      }
      expect(a.confirmed_at === null).toBe(a.status === 'in_use' || a.status === 'pending');
      expect(a.grade === null || ['A', 'B', 'C', 'D'].includes(a.grade)).toBe(true);
      if (a.status === 'processed') expect(a.grade).not.toBeNull();
      if (a.archived) expect(a.status).toBe('processed');
      expect(a.asset_type_id === 2 ? a.carrier !== null : true).toBe(true);
      expect(a.asset_user_email).toMatch(/^[a-z]+\.[a-z]+@[a-z-]+\.example$/);
    }
  });

  it('links requests, assets and shipments both ways', () => {
    const { assets, requests, tracking } = buildSeed();
    expect(requests.map((r) => r.id)).toEqual(Array.from({ length: requests.length }, (_, i) => i + 1));
    const linked = assets.filter((a) => a.request_id !== null);
    expect(linked.length).toBeGreaterThan(0);
    for (const a of linked) expect(requests[a.request_id! - 1]!.asset_ids).toContain(a.id);
    for (const r of requests) {
      for (const id of r.asset_ids) {
        const a = assets[id - 1]!;
        expect(a.request_id).toBe(r.id);
        expect(a.organization_id).toBe(r.organization_id);
        expect(a.confirmed_at! < r.created_at).toBe(true);
      }
    }
    for (const t of tracking) {
      const r = requests[t.request_id - 1]!;
      for (const id of t.asset_ids) expect(r.asset_ids).toContain(id);
      expect(t.created_at >= r.created_at).toBe(true);
    }
  });
});

describe('simulators', () => {
  it('start with identical data', async () => {
    const one = await startSimulator();
    const two = await startSimulator();
    try {
      const [a, b] = await Promise.all([client(one.base), client(two.base)]);
      for (const path of ['/v1/asset', '/v1/asset?per_page=500', '/v1/asset/org/3', '/v1/programs', '/v1/tracking']) {
        const [ra, rb] = await Promise.all([a.call('GET', path), b.call('GET', path)]);
        expect(ra.status).toBe(200);
        expect(ra.text, path).toBe(rb.text);
      }
      const first = (await a.call('GET', '/v1/asset?per_page=1')).body[0];
      expect(first).toMatchObject({ id: 1, organization_id: 1, make: 'Apple', model: 'MacBook Air 13', serial_number: 'C025DWKJNKY4' });
    } finally {
      await Promise.all([one.sim.close(), two.sim.close()]);
    }
  });

  it('do not share state', async () => {
    const one = await startSimulator();
    const two = await startSimulator();
    try {
      const [a, b] = await Promise.all([client(one.base), client(two.base)]);
      await a.call('PUT', '/v1/asset/1', { json: { make: 'Changed' } });
      await a.call('POST', '/v1/asset/create', { json: { serial_number: 'ONLY-ONE', asset_type_id: 1 } });
      await a.call('PUT', '/v1/pricebook/1/A', { json: { price: 1 } });
      expect((await a.call('GET', '/v1/asset/1')).body.make).toBe('Changed');
      expect((await b.call('GET', '/v1/asset/1')).body.make).toBe('Apple');
      expect((await b.call('GET', '/v1/asset/301')).status).toBe(404);
      const price = await b.call('PUT', '/v1/pricebook/1/B', { json: { price: 897 } });
      expect(price.body.grade_price[0]).toEqual({ grade: 'A', price: 1150 });
      // A third simulator made afterwards starts from the seed, not from anyone's changes.
      const three = await startSimulator();
      try {
        const c = await client(three.base);
        expect((await c.call('GET', '/v1/asset/1')).body.make).toBe('Apple');
      } finally {
        await three.sim.close();
      }
    } finally {
      await Promise.all([one.sim.close(), two.sim.close()]);
    }
  });
});
