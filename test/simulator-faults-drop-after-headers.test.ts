// Fault injection: the status line, the headers and part of the body are sent, then the
// connection is destroyed. The real handler ran: a create cut this way DID create.
import { afterEach, describe, expect, it } from 'vitest';
import { exchange } from './simulator-faults-helpers.js';
import { authHeaders, client, startSimulator, type Running } from './simulator-helpers.js';

describe('fault injection: drops after the headers', () => {
  let s: Running | undefined;
  afterEach(() => s?.sim.close());

  it('node:http sees a 201 with part of the body, then an error; the asset exists', async () => {
    s = await startSimulator();
    const c = await client(s.base);
    s.sim.faults.set('POST /v1/asset/create', { dropRate: 1, dropWhen: 'after-headers' });
    const res = await exchange(s.base, 'POST', '/v1/asset/create', {
      headers: authHeaders(c.tokens),
      json: { serial_number: 'CUT-1', asset_type_id: 2 },
    });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const length = Number(res.headers['content-length']);
    expect(res.body.length).toBeGreaterThan(0);
    expect(res.body.length).toBeLessThan(length);
    expect(res.body.startsWith('{"id":301')).toBe(true);
    expect(res.error?.message).toMatch(/aborted|ECONNRESET/);

    s.sim.faults.clear();
    const created = await c.call('GET', '/v1/asset/301');
    expect(created.status).toBe(200);
    expect(created.body.serial_number).toBe('CUT-1');
    expect(s.sim.calls()['POST /v1/asset/create']).toBe(1);
    expect(s.sim.faultCounts()['POST /v1/asset/create']).toMatchObject({ real: 1, faulted: 0, dropped: 0, droppedAfterHeaders: 1 });
  });

  it('fetch gets the response, then reading the body fails', async () => {
    s = await startSimulator({ faults: { 'GET /v1/asset': { dropRate: 1, dropWhen: 'after-headers' } } });
    const c = await client(s.base);
    const res = await fetch(`${s.base}/v1/asset`, { headers: authHeaders(c.tokens) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-total-count')).toBe('300');
    await expect(res.text()).rejects.toThrow();
  });

  it('cuts error answers as well, and can combine with a slow body', async () => {
    s = await startSimulator({ faults: { 'GET /v1/programs': { dropRate: 1, dropWhen: 'after-headers', slowBodyMs: 400, slowBodyChunkBytes: 8 } } });
    const unauthorized = await exchange(s.base, 'GET', '/v1/programs');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.error).toBeDefined();
    expect(unauthorized.body.length).toBeLessThan(Number(unauthorized.headers['content-length']));
    // Half the body at the slow pace: about half of 400 ms.
    expect(unauthorized.totalMs).toBeGreaterThanOrEqual(150);
  });
});
