// GET /v1/programs and GET /v1/tracking.
import { describe, expect, it } from 'vitest';
import { signedInSimulator } from './simulator-helpers.js';

describe('GET /v1/programs', () => {
  const ctx = signedInSimulator();

  it('answers every program as an array', async () => {
    const res = await ctx.api.call('GET', '/v1/programs');
    expect(res.status).toBe(200);
    expect(res.body.map((p: { id: number }) => p.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(res.body[0]).toEqual({
      id: 1,
      organization_id: 2,
      name: 'Northwind Laptop Refresh 2025',
      program_type: 'refresh',
      status: 'active',
      description: 'Three-year laptop refresh: retiring Latitude 5420 and older MacBook Air units.',
      start_date: '2025-01-06',
      end_date: '2025-12-19',
      created_at: '2024-11-20T15:00:00.000Z',
    });
    expect(new Set(res.body.map((p: { organization_id: number }) => p.organization_id))).toEqual(new Set([1, 2, 3, 4, 5]));
  });
});

describe('GET /v1/tracking', () => {
  const ctx = signedInSimulator();

  it('answers shipments with carrier, tracking number, status, assets and timestamps', async () => {
    const res = await ctx.api.call('GET', '/v1/tracking');
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(40);
    expect(res.body.map((t: { id: number }) => t.id)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const t of res.body) {
      expect(Object.keys(t)).toEqual([
        'id', 'organization_id', 'request_id', 'carrier', 'tracking_number', 'status', 'asset_ids', 'origin', 'destination',
        'shipped_at', 'estimated_delivery', 'delivered_at', 'created_at', 'updated_at',
      ]);
      expect(['UPS', 'FedEx', 'DHL', 'USPS']).toContain(t.carrier);
      expect(['label_created', 'in_transit', 'delivered']).toContain(t.status);
      expect(t.asset_ids.length).toBeGreaterThan(0);
      expect(t.asset_ids.length).toBeLessThanOrEqual(8);
      if (t.carrier === 'UPS') expect(t.tracking_number).toMatch(/^1Z[A-Z0-9]{6}\d{10}$/);
      if (t.carrier === 'FedEx') expect(t.tracking_number).toMatch(/^\d{12}$/);
      if (t.status === 'delivered') expect(Date.parse(t.delivered_at)).toBeGreaterThanOrEqual(Date.parse(t.shipped_at));
      if (t.status === 'label_created') expect(t.shipped_at).toBeNull();
    }
    const statuses = new Set(res.body.map((t: { status: string }) => t.status));
    expect(statuses).toEqual(new Set(['label_created', 'in_transit', 'delivered']));
  });

  it('points at assets that point back at the same request', async () => {
    const tracking = (await ctx.api.call('GET', '/v1/tracking')).body;
    for (const t of [tracking[0], tracking[17], tracking[39]]) {
      for (const id of t.asset_ids) {
        const asset = (await ctx.api.call('GET', `/v1/asset/${id}`)).body;
        expect(asset.request_id).toBe(t.request_id);
        expect(asset.organization_id).toBe(t.organization_id);
        if (t.status === 'in_transit') expect(asset.status).toBe('in_transit');
        if (t.status === 'label_created') expect(asset.status).toBe('confirmed');
        if (t.status === 'delivered') expect(['received', 'processed']).toContain(asset.status);
      }
    }
  });
});
