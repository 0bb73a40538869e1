// The success envelope built around the upstream's bytes must be exactly what parsing and
// serialising would give, and must step aside for anything that is not plainly JSON.
import { describe, expect, it } from 'vitest';
import { mapUpstreamResponse, successEnvelope } from '../src/upstream/response-map.js';

const JSON_TYPE = 'application/json; charset=utf-8';

describe('successEnvelope', () => {
  it.each([
    ['an object', '{"id":42,"name":"Über ✓","nested":{"a":[1,2,{"b":null}]}}'],
    ['an array', '[{"id":1},{"id":2}]'],
    ['padded with whitespace', ' \n\t{"id":1}\r\n '],
    ['an empty object', '{}'],
  ])('wraps %s without changing its meaning', (_what, text) => {
    const body = Buffer.from(text);
    const envelope = successEnvelope(200, body, JSON_TYPE);
    expect(envelope).not.toBeNull();
    expect(envelope!.statusCode).toBe(200);
    expect(JSON.parse(envelope!.bytes.toString('utf8'))).toEqual(mapUpstreamResponse(200, body, JSON_TYPE).payload);
  });

  it('keeps the 2xx status (201 for a create) and accepts +json types and no content type', () => {
    expect(successEnvelope(201, Buffer.from('{"id":1}'), 'application/vnd.evercycle+json')!.statusCode).toBe(201);
    expect(successEnvelope(200, Buffer.from('{"id":1}'), undefined)).not.toBeNull();
  });

  it.each([
    ['an error status', 404, '{"message":"no"}', JSON_TYPE],
    ['a 5xx', 503, '{"message":"later"}', JSON_TYPE],
    ['204 (no body allowed)', 204, '', JSON_TYPE],
    ['an empty body', 200, '', JSON_TYPE],
    ['whitespace only', 200, '  \n', JSON_TYPE],
    ['text', 200, 'OK', 'text/plain'],
    ['JSON labelled as text', 200, '{"id":1}', 'text/plain'],
    ['an HTML page labelled JSON', 200, '<html><body>maintenance</body></html>', JSON_TYPE],
    ['a bare string', 200, '"done"', JSON_TYPE],
    ['a number', 200, '42', JSON_TYPE],
    ['mismatched brackets', 200, '{"a":[1,2]]', JSON_TYPE],
    ['a byte-order mark', 200, '\ufeff{"id":1}', JSON_TYPE],
  ])('steps aside for %s (the parsing path decides)', (_what, status, text, type) => {
    expect(successEnvelope(status, Buffer.from(text), type)).toBeNull();
  });
});
