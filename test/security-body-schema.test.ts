// A definition's `body` JSON Schema is enforced before anything goes upstream: 400
// {"status":"error","message":"request body does not match the schema of <api>","errors":[{"field","message"}...]}
// listing each offending field (JSON Pointer; "" is the body itself). No body at all is
// refused only when the schema requires top-level fields.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileBodyValidator, MAX_BODY_ERRORS } from '../src/definitions/body-schema.js';
import { makeApisDir } from './helpers/apis-dir.js';
import { rawRequest } from './helpers/raw-http.js';
import { json, startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { startGateway, type StartedGateway } from './helpers/stack.js';

const STRICT = {
  method: 'POST',
  path: '/v1/strict',
  description: 'A body schema with nesting, closed objects and awkward key names',
  body: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1 },
      count: { type: 'integer', minimum: 0 },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      owner: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'], additionalProperties: false },
      'a/b~c': { type: 'number' },
    },
    required: ['name'],
    additionalProperties: false,
  },
};
const WIDE = {
  method: 'POST',
  path: '/v1/wide',
  description: '80 numeric fields',
  body: { type: 'object', properties: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}`, { type: 'number' }])) },
};

let upstream: RecordingUpstream;
let gw: StartedGateway;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  upstream.respond = (_req, res) => json(res, 200, { ok: true });
  const apisDir = await makeApisDir({ files: { 'strict.json': STRICT, 'wide.json': WIDE } });
  gw = await startGateway(upstream.url, { env: { EVERCYCLE_USERNAME: 'svc@example.com', EVERCYCLE_PASSWORD: 'pw', EVERCYCLE_APIS_DIR: apisDir } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

const send = (method: string, target: string, body?: string) =>
  rawRequest(gw.url, method, target, body === undefined ? {} : { headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body });

describe('over HTTP', () => {
  it('the answer for the example in the issue', async () => {
    const res = await send('PUT', '/api/grade/1/A', '{"price":"12.50"}');
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      status: 'error',
      message: 'request body does not match the schema of grade',
      errors: [{ field: '/price', message: 'must be number' }],
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it('lists every offending field, nested ones and escaped key names included', async () => {
    const body = JSON.stringify({ name: '', count: -1, tags: ['a', 2, 'c', 'd'], owner: { mail: 'x' }, 'a/b~c': 'x', extra: true });
    const res = await send('POST', '/api/strict', body);
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('request body does not match the schema of strict');
    expect(res.json.errors).toEqual(
      expect.arrayContaining([
        { field: '/name', message: 'must NOT have fewer than 1 characters' },
        { field: '/count', message: 'must be >= 0' },
        { field: '/tags', message: 'must NOT have more than 3 items' },
        { field: '/tags/1', message: 'must be string' },
        { field: '/owner/email', message: "must have required property 'email'" },
        { field: '/owner/mail', message: 'must NOT have additional properties' },
        { field: '/a~1b~0c', message: 'must be number' },
        { field: '/extra', message: 'must NOT have additional properties' },
      ]),
    );
    expect(res.json.errors).toHaveLength(8);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a conforming body is forwarded byte for byte', async () => {
    const body = '{ "name":"n", "count":0, "tags":["a"], "owner":{"email":"e"}, "a/b~c": 1.5 }';
    expect((await send('POST', '/api/strict', body)).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body.toString()).toBe(body);
  });

  it('a body that is not an object is reported on the body itself ("")', async () => {
    const res = await send('POST', '/api/strict', '[1]');
    expect(res.json.errors).toEqual([{ field: '', message: 'must be object' }]);
  });

  it('no body: refused when the schema requires fields, forwarded when it does not', async () => {
    const strict = await send('POST', '/api/strict');
    expect(strict.status).toBe(400);
    expect(strict.json.errors).toEqual([{ field: '/name', message: "must have required property 'name'" }]);
    const grade = await send('PUT', '/api/grade/1/A');
    expect(grade.json.errors).toEqual([{ field: '/price', message: "must have required property 'price'" }]);
    expect(upstream.requests).toHaveLength(0);
    expect((await send('POST', '/api/wide')).status).toBe(200);
    expect((await send('POST', '/api/create')).status).toBe(200);
    expect(upstream.requests).toHaveLength(2);
  });

  it(`lists at most ${MAX_BODY_ERRORS} problems, and says how many there were`, async () => {
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}`, 'not a number'])));
    const res = await send('POST', '/api/wide', body);
    expect(res.status).toBe(400);
    expect(res.json.errors).toHaveLength(MAX_BODY_ERRORS);
    expect(res.json.message).toBe(`request body does not match the schema of wide (the first ${MAX_BODY_ERRORS} of 80 problems are listed)`);
  });

  it('the answer never echoes the values sent', async () => {
    const res = await send('PUT', '/api/grade/1/A', '{"price":"hunter2-secret"}');
    expect(res.text).not.toContain('hunter2');
  });

  it('schemas are not applied to APIs without one', async () => {
    expect((await send('POST', '/api/create-request', '[1,"x",null]')).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('compileBodyValidator', () => {
  const validate = compileBodyValidator(STRICT.body);

  it('returns [] for a conforming body and the same answer every time', () => {
    expect(validate({ name: 'x' })).toEqual([]);
    expect(validate({ name: 'x' })).toEqual([]);
    expect(validate({})).toEqual([{ field: '/name', message: "must have required property 'name'" }]);
    expect(validate({})).toEqual([{ field: '/name', message: "must have required property 'name'" }]);
  });

  it('does not change the body (no coercion, no defaults, nothing removed)', () => {
    const body = { name: 'x', count: '3', extra: 1 };
    const copy = structuredClone(body);
    validate(body);
    expect(body).toEqual(copy);
  });

  it('two schemas with the same $id compile independently', () => {
    const a = compileBodyValidator({ $id: 'same', type: 'object', properties: { a: {} }, required: ['a'] });
    const b = compileBodyValidator({ $id: 'same', type: 'object', properties: { b: {} }, required: ['b'] });
    expect(a({ b: 1 })).toHaveLength(1);
    expect(b({ b: 1 })).toEqual([]);
  });

  it('clips absurdly long field names', () => {
    const [error] = validate({ name: 'x', ['k'.repeat(5000)]: 1 });
    expect(error!.field.length).toBeLessThan(300);
  });
});
