// The bad-input suite: a table of hostile or malformed requests, each with the answer it
// must get, sent to a live gateway (signed in) in front of the simulator, whose call
// counter shows what actually got through. Refused input never reaches the simulator;
// valid-but-odd input reaches it exactly once, encoded exactly once; every answer is JSON
// in our shape (or, for bytes the HTTP parser refuses, the socket is closed); the gateway
// keeps serving throughout.
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointKey } from '../src/simulator/index.js';
import { rawRequest, rawSocket, type RawResponse } from './helpers/raw-http.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  await signIn(stack);
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.sim.resetCalls();
});

// ---- The table ----------------------------------------------------------------------

type Expectation =
  /** The gateway answers `status` in our error shape (listing `fields` for a schema error, with `message` when given); nothing reaches the simulator. */
  | { kind: 'refused'; status: number; fields?: string[]; message?: string }
  /** Exactly one call reaches `endpoint`; the gateway answers `status`; `check` sees the JSON. */
  | { kind: 'forwarded'; status: number; endpoint: EndpointKey; check?: (json: any) => void } // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Bytes the HTTP parser refuses: `status` in our shape, or the socket closed without an answer. */
  | { kind: 'parser'; status: number };

interface Case {
  category: string;
  name: string;
  method?: string;
  target?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Bytes written on a fresh TCP connection instead of an HTTP request. */
  raw?: string | Buffer;
  expect: Expectation;
}

const JSON_TYPE = { 'content-type': 'application/json' };
/** A price no seeded grade has, so finding it proves this request stored it. */
const ODD_PRICE = 5.25;
const PRICE_BODY = `{"price":${ODD_PRICE}}`;
const refused = (status: number, message?: string): Expectation => ({ kind: 'refused', status, message });
const forwarded = (endpoint: EndpointKey, status: number, check?: (json: any) => void): Expectation => ({ kind: 'forwarded', endpoint, status, check }); // eslint-disable-line @typescript-eslint/no-explicit-any
const parser = (status: number): Expectation => ({ kind: 'parser', status });

const GRADE: EndpointKey = 'PUT /v1/pricebook/:id/:grade';
const ASSET_BY_ID: EndpointKey = 'GET /v1/asset/:id';
const ASSETS: EndpointKey = 'GET /v1/asset';
const CREATE: EndpointKey = 'POST /v1/asset/create';
const REQUEST: EndpointKey = 'POST /v1/asset/request';
const EDIT: EndpointKey = 'PUT /v1/asset/:id';

/** The simulator stored `price` under exactly this grade name: the value was decoded once and encoded once. */
const gradeStoredAs = (grade: string, price = ODD_PRICE) => (json: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(json.status).toBe('success');
  expect(json.data.grade_price).toContainEqual({ grade, price });
};
/** The simulator saw the request and refused it itself (e.g. a grade name it does not allow). */
const upstreamRefused = (status: number) => (json: any) => expect(json.upstream_status).toBe(status); // eslint-disable-line @typescript-eslint/no-explicit-any
/** The schema error lists exactly these fields. */
const schemaFields = (...fields: string[]) => (json: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(json.message).toMatch(/^request body does not match the schema of /);
  expect(json.errors.map((e: { field: string }) => e.field)).toEqual(fields);
};
const nested = (depth: number, open = '[', close = ']', inner = '1') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const rawGet = (target: string, headerLines = '') => `GET ${target} HTTP/1.1\r\nHost: gw\r\n${headerLines}Connection: close\r\n\r\n`;
const rawPost = (target: string, headerLines: string, body: string) => `POST ${target} HTTP/1.1\r\nHost: gw\r\n${headerLines}Connection: close\r\n\r\n${body}`;
const MIB = 1024 * 1024;

const cases: Case[] = [];
const add = (category: string, list: Omit<Case, 'category'>[]): void => {
  for (const c of list) cases.push({ category, ...c });
};

// Malformed JSON: 400, declared JSON or not labelled at all; nothing upstream.
const MALFORMED: [string, string | Buffer][] = [
  ['unclosed object', '{'],
  ['lone closer', '}'],
  ['missing value', '{"price":}'],
  ['trailing comma in object', '{"price":1,}'],
  ['trailing comma in array', '[1,2,]'],
  ['single quotes', "{'price':1}"],
  ['unquoted key', '{price:1}'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['leading zero', '01'],
  ['bare fraction', '.5'],
  ['unterminated string', '"unterminated'],
  ['raw control character in a string', '{"make":"a\u0001b"}'],
  ['two documents', '{"a":1}{"b":2}'],
  ['invalid escape', '{"make":"\\x41"}'],
  ['short unicode escape', '{"make":"\\u12"}'],
  ['mismatched brackets', '{"a":[}'],
  ['invalid UTF-8 bytes', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
  ['NUL byte', '\u0000'],
  ['truncated literal', 'tru'],
  ['byte order mark before the JSON', '\ufeff{"price":1}'],
];
add('malformed JSON', [
  ...MALFORMED.map(([name, body]) => ({ name: `POST /api/create: ${name}`, method: 'POST', target: '/api/create', headers: JSON_TYPE, body, expect: refused(400) })),
  ...MALFORMED.map(([name, body]) => ({ name: `PUT /api/grade/1/A: ${name}`, method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body, expect: refused(400) })),
  { name: 'POST /api/auth: unclosed object', method: 'POST', target: '/api/auth', headers: JSON_TYPE, body: '{"username":"a",', expect: refused(400) },
  { name: 'POST /api/auth: form body', method: 'POST', target: '/api/auth', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b', expect: refused(400) },
  { name: 'POST /api/create without a content type', method: 'POST', target: '/api/create', body: '{make:1}', expect: refused(400) },
  { name: 'POST /api/create-request labelled JSON', method: 'POST', target: '/api/create-request', headers: JSON_TYPE, body: '[1,', expect: refused(400) },
  { name: 'PUT /api/edit-asset-id/1 labelled vnd+json', method: 'PUT', target: '/api/edit-asset-id/1', headers: { 'content-type': 'application/vnd.api+json' }, body: '{"make":', expect: refused(400) },
  { name: 'text/plain non-JSON body', method: 'POST', target: '/api/create', headers: { 'content-type': 'text/plain' }, body: 'make=Dell', expect: refused(415) },
  { name: 'XML body', method: 'POST', target: '/api/create', headers: { 'content-type': 'application/xml' }, body: '<asset/>', expect: refused(415) },
]);

// Oversized bodies: 413 before the route runs; a body of exactly the limit is fine.
const big = (bytes: number) => `{"make":"${'a'.repeat(bytes - 11)}"}`;
add('oversized JSON', [
  { name: 'POST /api/create 1 MiB + 1', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: big(MIB + 1), expect: refused(413) },
  { name: 'PUT /api/grade/1/A 2 MiB', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: big(2 * MIB), expect: refused(413) },
  { name: 'POST /api/auth 1 MiB + 1', method: 'POST', target: '/api/auth', headers: JSON_TYPE, body: big(MIB + 1), expect: refused(413) },
  { name: 'POST /api/create-request 1 MiB + 1', method: 'POST', target: '/api/create-request', headers: JSON_TYPE, body: big(MIB + 1), expect: refused(413) },
  { name: 'PUT /api/edit-asset-id/1 3 MiB', method: 'PUT', target: '/api/edit-asset-id/1', headers: JSON_TYPE, body: big(3 * MIB), expect: refused(413) },
  { name: 'a 1 MiB + 1 body sent chunked (no Content-Length)', method: 'POST', target: '/api/create', headers: { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, body: big(MIB + 1), expect: refused(413) },
  { name: 'exactly 1 MiB is forwarded (the simulator judges the fields)', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: big(MIB), expect: forwarded(CREATE, 400, upstreamRefused(400)) },
  { name: 'a 500 KiB string field is forwarded', method: 'PUT', target: '/api/edit-asset-id/1', headers: JSON_TYPE, body: JSON.stringify({ model: 'm'.repeat(500 * 1024) }), expect: forwarded(EDIT, 400, upstreamRefused(400)) },
]);

// Nesting deeper than MAX_JSON_DEPTH (32): 400 before parsing.
add('too-deep JSON', [
  { name: '33 nested arrays', method: 'POST', target: '/api/create-request', headers: JSON_TYPE, body: nested(33), expect: refused(400) },
  { name: '33 nested objects', method: 'POST', target: '/api/create-request', headers: JSON_TYPE, body: nestedObject(33), expect: refused(400) },
  { name: '1 000 nested arrays', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: nested(1000), expect: refused(400) },
  { name: '100 000 unclosed [', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: '['.repeat(100_000), expect: refused(400) },
  { name: '300 000 nested objects, unclosed', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: '{"a":'.repeat(200_000), expect: refused(400) },
  { name: 'deep inside a create field', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: `{"make":"Dell","notes":${nested(40)}}`, expect: refused(400) },
  { name: 'deep alternating arrays and objects', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: `${'[{"a":'.repeat(17)}1${'}]'.repeat(17)}`, expect: refused(400) },
  { name: 'deep on /api/auth', method: 'POST', target: '/api/auth', headers: JSON_TYPE, body: `{"username":${nested(64)},"password":"p"}`, expect: refused(400) },
  { name: 'deep on grade, with a valid price', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: `{"price":1,"x":${nested(33)}}`, expect: refused(400) },
  { name: 'exactly 32 levels is forwarded', method: 'POST', target: '/api/create-request', headers: JSON_TYPE, body: nestedObject(32), expect: forwarded(REQUEST, 400, upstreamRefused(400)) },
  { name: 'brackets inside a string do not count', method: 'PUT', target: '/api/edit-asset-id/1', headers: JSON_TYPE, body: JSON.stringify({ model: '['.repeat(500) }), expect: forwarded(EDIT, 400, upstreamRefused(400)) },
  { name: 'escaped quotes before brackets in a string do not count', method: 'PUT', target: '/api/edit-asset-id/1', headers: JSON_TYPE, body: JSON.stringify({ model: `\\"${'{'.repeat(100)}"` }), expect: forwarded(EDIT, 400, upstreamRefused(400)) },
]);

const put = (target: string, body: string, expectation: Expectation, name = body): Omit<Case, 'category'> => ({ name: `PUT ${target} ${name}`, method: 'PUT', target, headers: JSON_TYPE, body, expect: expectation });
const post = (target: string, body: string, expectation: Expectation, name = body): Omit<Case, 'category'> => ({ name: `POST ${target} ${name}`, method: 'POST', target, headers: JSON_TYPE, body, expect: expectation });

// Duplicate keys in any object: JSON.parse (so the schema check) keeps the last value, an
// upstream may keep the first. Refused (400, naming the key, never a value) on every API.
const duplicate = (key: string) => refused(400, `request body has a duplicate key ${JSON.stringify(key)}`);
add('duplicate keys', [
  { name: 'PUT /api/grade/1/A: an invalid price hidden before a valid one', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":"free","price":1}', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: a valid price hidden before an invalid one', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":1,"price":"free"}', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: the same value twice', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":1,"price":1}', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: an escaped spelling of the same key', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":1,"\\u0070rice":2}', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: two escaped spellings', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"pric\\u0065":1,"\\u0070ri\\u0063e":2}', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: whitespace around the keys', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{ "price" : 1 ,\n\t"price" : 2 }', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: far apart, after nested values', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":1,"a":{"price":2,"b":[{"c":"}"}]},"s":"\\"price\\"","price":3}', expect: duplicate('price') },
  { name: 'PUT /api/grade/1/A: nested object', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":1,"meta":{"note":"a","note":"b"}}', expect: duplicate('note') },
  { name: 'PUT /api/grade/1/A: inside an array of objects', method: 'PUT', target: '/api/grade/1/A', headers: JSON_TYPE, body: '{"price":1,"list":[{"x":1},{"x":1,"x":2}]}', expect: duplicate('x') },
  { name: 'PUT /api/grade/1: a path parameter given twice in the body', method: 'PUT', target: '/api/grade/1', headers: JSON_TYPE, body: '{"grade":"A","grade":"..","price":1}', expect: duplicate('grade') },
  { name: 'POST /api/create: top level', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: '{"make":"Dell","year":2020,"make":"HP"}', expect: duplicate('make') },
  { name: 'POST /api/create: the empty key twice', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: '{"":1,"":2}', expect: duplicate('') },
  { name: 'POST /api/create: a key holding an escaped quote', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: '{"a\\"b":1,"a\\u0022b":2}', expect: duplicate('a"b') },
  { name: 'POST /api/create: a non-ASCII key, raw and escaped', method: 'POST', target: '/api/create', headers: JSON_TYPE, body: '{"é":1,"\\u00e9":2}', expect: duplicate('é') },
  { name: 'POST /api/create without a content type', method: 'POST', target: '/api/create', body: '{"make":"a","make":"b"}', expect: duplicate('make') },
  { name: 'POST /api/create-request: objects in a top-level array', method: 'POST', target: '/api/create-request', headers: JSON_TYPE, body: '[{"a":1},{"a":1,"a":2}]', expect: duplicate('a') },
  { name: 'PUT /api/edit-asset-id/1: deep down', method: 'PUT', target: '/api/edit-asset-id/1', headers: JSON_TYPE, body: `{"make":"Dell","x":${'{"y":'.repeat(20)}{"k":1,"k":2}${'}'.repeat(20)}}`, expect: duplicate('k') },
  { name: 'POST /api/auth: a second username', method: 'POST', target: '/api/auth', headers: JSON_TYPE, body: '{"username":"a@example.com","password":"p","username":"b@example.com"}', expect: duplicate('username') },
  { name: 'POST /api/auth: a second password (not echoed)', method: 'POST', target: '/api/auth', headers: JSON_TYPE, body: '{"username":"a@example.com","password":"hunter2","password":"hunter3"}', expect: duplicate('password') },
  // Not duplicates: the same key in different objects, keys differing in case or escapes that decode differently, keys as values.
  put('/api/grade/3/D', `{"price":${ODD_PRICE},"a":{"price":1},"b":[{"price":2},{"price":3}]}`, forwarded(GRADE, 200, gradeStoredAs('D'))),
  put('/api/grade/3/E', `{"price":${ODD_PRICE},"Price":1,"PRICE":2}`, forwarded(GRADE, 200, gradeStoredAs('E'))),
  put('/api/grade/3/F', `{"price":${ODD_PRICE},"a\\\\b":1,"a\\\\\\\\b":2,"a/b":3,"a\\/c":4}`, forwarded(GRADE, 200, gradeStoredAs('F'))),
  put('/api/grade/3/G', `{"price":${ODD_PRICE},"tags":["price","price"],"note":"price"}`, forwarded(GRADE, 200, gradeStoredAs('G'))),
  post('/api/create-request', '[{"a":1},{"a":1}]', forwarded(REQUEST, 400, upstreamRefused(400))),
]);

// Bodies that parse but do not match the definition's schema: 400 listing each field.
const schemaRefused = (...fields: string[]): Expectation => ({ kind: 'refused', status: 400, fields });
add('wrong types vs the schema', [
  put('/api/grade/1/A', '{"price":"12"}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"price":null}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"price":true}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"price":[1]}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"price":{}}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"price":"NaN"}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"price":1e400}', schemaRefused('/price'), 'price 1e400 (Infinity)'),
  put('/api/grade/1/A', '{}', schemaRefused('/price')),
  put('/api/grade/1/A', '{"Price":12}', schemaRefused('/price')),
  put('/api/grade/1/A', '[]', schemaRefused('')),
  put('/api/grade/1/A', '"12"', schemaRefused('')),
  put('/api/grade/1/A', '12', schemaRefused('')),
  put('/api/grade/1/A', 'null', schemaRefused('')),
  put('/api/grade/1/A', '', schemaRefused('/price'), '(no body)'),
  post('/api/create', '{"year":"2020"}', schemaRefused('/year')),
  post('/api/create', '{"asset_type_id":1.5}', schemaRefused('/asset_type_id')),
  post('/api/create', '{"archived":"yes"}', schemaRefused('/archived')),
  post('/api/create', '{"make":5}', schemaRefused('/make')),
  post('/api/create', '{"serial_number":[]}', schemaRefused('/serial_number')),
  post('/api/create', '{"request_id":"1"}', schemaRefused('/request_id')),
  post('/api/create', '{"year":"x","make":1,"archived":"no"}', schemaRefused('/year', '/make', '/archived')),
  post('/api/create', '[]', schemaRefused('')),
  post('/api/create', '"asset"', schemaRefused('')),
  post('/api/create', '5', schemaRefused('')),
  post('/api/create', 'true', schemaRefused('')),
  post('/api/create', 'null', schemaRefused('')),
  post('/api/auth-signin', '{"username":1,"password":"x"}', schemaRefused('/username')),
  post('/api/auth-signin', '{}', schemaRefused('/username', '/password')),
  post('/api/auth-signin', '{"username":"a"}', schemaRefused('/password')),
  post('/api/auth-signin', '', schemaRefused('/username', '/password'), '(no body)'),
  put('/api/grade/3/A', '{"price":0}', forwarded(GRADE, 200, gradeStoredAs('A', 0))),
  put('/api/grade/3/B', '{"price":1.5e2}', forwarded(GRADE, 200, gradeStoredAs('B', 150))),
  put('/api/grade/3/C', '{"price":12.75,"note":"extra fields are allowed"}', forwarded(GRADE, 200, gradeStoredAs('C', 12.75))),
  post('/api/create', '{"year":null,"make":"Dell"}', forwarded(CREATE, 400, upstreamRefused(400))),
  post('/api/create', '{"unknown_field":{"deep":[1,2,3]}}', forwarded(CREATE, 400, upstreamRefused(400))),
  post('/api/create', '', forwarded(CREATE, 400, upstreamRefused(400)), '(no body: create requires no field)'),
]);

// Path-parameter smuggling: integer ids refuse anything but digits; string values are
// decoded once and re-encoded once (so they stay one segment), dot segments refused.
const getId = (segment: string, expectation: Expectation): Omit<Case, 'category'> => ({ name: `GET /api/get-asset-id/${segment}`, method: 'GET', target: `/api/get-asset-id/${segment}`, expect: expectation });
const putGrade = (segment: string, expectation: Expectation): Omit<Case, 'category'> => ({
  name: `PUT /api/grade/1/${segment.length > 60 ? `${segment.slice(0, 60)}...` : segment}`,
  method: 'PUT',
  target: `/api/grade/1/${segment}`,
  headers: JSON_TYPE,
  body: PRICE_BODY,
  expect: expectation,
});
const CONTROL_IN_GRADE = 'path parameter "grade" must not contain control characters (U+0000 to U+001F, U+007F)';
add('path-parameter smuggling', [
  ...['%2F', '1%2F2', '%2e%2e', '..', '.', '1%00', '%00', '-1', '1.0', '1e3', '0x10', '%EF%BC%91', '%E2%80%A4%E2%80%A4', '%252F', '1%252F2', '9999999999999999999', '%201', '1%20', '%2B1', '1;2', "1'", '1%0D%0A', '%C0%AE', '%C0%AE%C0%AE', '%E0%80%AE', '%zz', '%', '1/2'].map(
    (segment) => getId(segment, refused(400)),
  ),
  getId('%31', forwarded(ASSET_BY_ID, 200, (json) => expect(json.data.id).toBe(1))),
  getId('007', forwarded(ASSET_BY_ID, 200, (json) => expect(json.data.id).toBe(7))),
  ...['..', '.', '%2e%2e', '%2E%2e', '%2e', '%C0%AE%C0%AE', '%E0%80%AE', '%zz', '%', 'A%2', 'A/B', 'A/..', `${'x'.repeat(1025)}`].map((segment) => putGrade(segment, refused(400))),
  { name: 'PUT /api/grade?id=1&grade=..', method: 'PUT', target: '/api/grade?id=1&grade=..', headers: JSON_TYPE, body: PRICE_BODY, expect: refused(400) },
  { name: 'PUT /api/grade/1/A?grade=B (given twice)', method: 'PUT', target: '/api/grade/1/A?grade=B', headers: JSON_TYPE, body: PRICE_BODY, expect: refused(400) },
  { name: 'PUT /api/grade?id=1&id=2&grade=A (repeated)', method: 'PUT', target: '/api/grade?id=1&id=2&grade=A', headers: JSON_TYPE, body: PRICE_BODY, expect: refused(400) },
  { name: 'PUT /api/grade/1/A#frag (a fragment on the wire)', method: 'PUT', target: '/api/grade/1/A#frag', headers: JSON_TYPE, body: PRICE_BODY, expect: refused(400) },
  { name: 'PUT /api/grade/1 with a body grade of ".."', method: 'PUT', target: '/api/grade/1', headers: JSON_TYPE, body: '{"grade":"..","price":5.25}', expect: refused(400) },
  // Control characters, decoded from any source: refused, naming the parameter.
  ...['%00', 'A%00B', '%0D%0ASet-Cookie:%20x=1', '%0d', 'A%0AB', '%09', '%1B%5B31m', 'A%7F', '%1F'].map((segment) => putGrade(segment, refused(400, CONTROL_IN_GRADE))),
  { name: 'PUT /api/grade?id=1&grade=A%0D%0AB (control characters from the query)', method: 'PUT', target: '/api/grade?id=1&grade=A%0D%0AB', headers: JSON_TYPE, body: PRICE_BODY, expect: refused(400, CONTROL_IN_GRADE) },
  { name: 'PUT /api/grade?id=1&grade=%00 (NUL from the query)', method: 'PUT', target: '/api/grade?id=1&grade=%00', headers: JSON_TYPE, body: PRICE_BODY, expect: refused(400, CONTROL_IN_GRADE) },
  { name: 'PUT /api/grade/1 with a body grade holding CR/LF', method: 'PUT', target: '/api/grade/1', headers: JSON_TYPE, body: '{"grade":"A\\r\\nB","price":5.25}', expect: refused(400, CONTROL_IN_GRADE) },
  { name: 'PUT /api/grade/1 with a body grade holding NUL', method: 'PUT', target: '/api/grade/1', headers: JSON_TYPE, body: '{"grade":"\\u0000","price":5.25}', expect: refused(400, CONTROL_IN_GRADE) },
  { name: 'PUT /api/edit-asset-id with a body id holding LF', method: 'PUT', target: '/api/edit-asset-id', headers: JSON_TYPE, body: '{"id":"1\\n"}', expect: refused(400) },
  // Odd values the gateway passes on as one encoded segment; the simulator refuses the grade name itself.
  ...['A%2FB', '%2F', '..%2F..%2Fetc%2Fpasswd', '%252F', '%2500', '%E2%80%A4%E2%80%A4', '%EF%BC%85%EF%BC%92%EF%BC%A6', '%EF%BC%8E%EF%BC%8E', '%2E%2E%2E', '%C2%85', '%C3%A9t%C3%A9%20~', '%3F', '%23', '%3Cscript%3E', '%5C..%5C', '%2e%2e%5c'].map((segment) =>
    putGrade(segment, forwarded(GRADE, 400, upstreamRefused(400))),
  ),
  // Odd values the simulator accepts: stored under the name decoded exactly once.
  putGrade('A%20B', forwarded(GRADE, 200, gradeStoredAs('A B'))),
  putGrade('A+B', forwarded(GRADE, 200, gradeStoredAs('A+B'))),
  putGrade('A%2BC', forwarded(GRADE, 200, gradeStoredAs('A+C'))),
  putGrade('For%20Parts', forwarded(GRADE, 200, gradeStoredAs('For Parts'))),
  putGrade('x_1-Y', forwarded(GRADE, 200, gradeStoredAs('x_1-Y'))),
  putGrade('%51%52', forwarded(GRADE, 200, gradeStoredAs('QR'))),
  { name: 'PUT /api/grade?id=1&grade=C+D (form-encoded query)', method: 'PUT', target: '/api/grade?id=1&grade=C+D', headers: JSON_TYPE, body: PRICE_BODY, expect: forwarded(GRADE, 200, gradeStoredAs('C D')) },
  { name: 'PUT /api/grade/1 with the grade in the body', method: 'PUT', target: '/api/grade/1', headers: JSON_TYPE, body: '{"grade":"E F","price":5.25}', expect: forwarded(GRADE, 200, gradeStoredAs('E F')) },
  // The API name itself.
  ...['/api/%2e%2e/health', '/api/..%2Fauth', '/api/get-all%2F..', '/api/GET-ALL', '/api/get-all%00', '/api/../health', '/api//get-all', '/api/%E2%80%A4%E2%80%A4/auth'].map((target) => ({
    name: `GET ${target}`,
    method: 'GET',
    target,
    expect: refused(404),
  })),
  { name: 'GET /api/get-all/.. (a dot segment after the name)', method: 'GET', target: '/api/get-all/..', expect: refused(400) },
  { name: 'GET /api/%67et-all (an encoded name is the name)', method: 'GET', target: '/api/%67et-all?per_page=1', expect: forwarded(ASSETS, 200) },
]);

// Query strings: forwarded as received when every key and value decodes; limits,
// malformed percent-encoding (on any API) and placeholder rules refuse the rest.
const hundredParams = Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&');
add('query strings', [
  { name: 'a 4 000-character key', method: 'GET', target: `/api/get-all?${'k'.repeat(4000)}=1`, expect: forwarded(ASSETS, 200) },
  { name: 'a 7 000-character value', method: 'GET', target: `/api/get-all?q=${'v'.repeat(7000)}`, expect: forwarded(ASSETS, 200) },
  { name: 'repeated keys', method: 'GET', target: '/api/get-all?tag=a&tag=b&tag=c', expect: forwarded(ASSETS, 200) },
  { name: 'only separators', method: 'GET', target: `/api/get-all?${'&'.repeat(300)}`, expect: forwarded(ASSETS, 200) },
  { name: 'an encoded NUL key and value', method: 'GET', target: '/api/get-all?%00=%00', expect: forwarded(ASSETS, 200) },
  { name: 'malformed percent-encoding in a value on an API without placeholders', method: 'GET', target: '/api/get-all?x=%zz', expect: refused(400, 'invalid percent-encoding in the value of query parameter "x"') },
  { name: 'invalid UTF-8 in a value (not echoed)', method: 'GET', target: '/api/get-all?password=x%C0', expect: refused(400, 'invalid percent-encoding in the value of query parameter "password"') },
  { name: 'a truncated escape at the end of a value', method: 'GET', target: '/api/get-all?per_page=1&q=%', expect: refused(400) },
  { name: 'an encoded surrogate in a value', method: 'GET', target: '/api/get-all?q=%ED%A0%80', expect: refused(400) },
  { name: 'an overlong UTF-8 dot in a value', method: 'GET', target: '/api/get-all?q=%C0%AE', expect: refused(400) },
  { name: 'a key with malformed encoding on an API without placeholders', method: 'GET', target: '/api/get-all?%zz=1', expect: refused(400, 'invalid percent-encoding in query parameter name "%zz"') },
  { name: 'a key that is invalid UTF-8, no value', method: 'GET', target: '/api/get-all?per_page=1&%C0', expect: refused(400) },
  { name: 'malformed encoding in another parameter of an API with placeholders', method: 'GET', target: '/api/get-asset-id/1?expand=%zz', expect: refused(400) },
  { name: 'malformed encoding in a POST API query', method: 'POST', target: '/api/create?x=%C0', headers: JSON_TYPE, body: '{"make":"Dell"}', expect: refused(400) },
  { name: 'an encoded percent sign is well-formed', method: 'GET', target: '/api/get-all?per_page=1&q=100%25', expect: forwarded(ASSETS, 200) },
  { name: 'a CRLF, encoded, in a value', method: 'GET', target: '/api/get-all?x=%0D%0AHost:%20evil', expect: forwarded(ASSETS, 200) },
  { name: 'a wrong type the simulator refuses', method: 'GET', target: '/api/get-all?per_page=abc', expect: forwarded(ASSETS, 400, upstreamRefused(400)) },
  { name: 'exactly 100 parameters', method: 'GET', target: `/api/get-all?${hundredParams}`, expect: forwarded(ASSETS, 200) },
  { name: '101 parameters', method: 'GET', target: `/api/get-all?${hundredParams}&p100=1`, expect: refused(400) },
  { name: '1 000 parameters', method: 'GET', target: `/api/get-all?${'a&'.repeat(1000)}`, expect: refused(400) },
  { name: 'one key repeated 101 times', method: 'GET', target: `/api/get-all?${Array(101).fill('tag=x').join('&')}`, expect: refused(400) },
  { name: 'a placeholder given twice', method: 'GET', target: '/api/get-asset-id?id=1&id=2', expect: refused(400) },
  { name: 'a placeholder with malformed encoding', method: 'GET', target: '/api/get-asset-id?id=%zz', expect: refused(400) },
  { name: 'a key with malformed encoding on an API with placeholders', method: 'GET', target: '/api/get-asset-id?%zz=1', expect: refused(400) },
  { name: 'a placeholder both positional and in the query', method: 'GET', target: '/api/get-asset-id/1?id=2', expect: refused(400) },
  { name: 'a 5 000-digit id', method: 'GET', target: `/api/get-asset-id?id=${'1'.repeat(5000)}`, expect: refused(400) },
  { name: 'a placeholder from the query', method: 'GET', target: '/api/by-org?org_id=1', expect: forwarded('GET /v1/asset/org/:org_id', 200) },
  { name: 'the same placeholder twice with the same value', method: 'GET', target: '/api/by-org?org_id=1&org_id=1', expect: refused(400) },
]);

// Request targets and headers over the limits (defaults: 8 192-byte URL, 16 KiB of headers).
const padTo = (length: number) => `/api/get-all?q=${'u'.repeat(length - '/api/get-all?q='.length)}`;
add('oversized URLs and headers', [
  { name: 'a URL of exactly 8 192 bytes', method: 'GET', target: padTo(8192), expect: forwarded(ASSETS, 200) },
  { name: 'a URL of 8 193 bytes', method: 'GET', target: padTo(8193), expect: refused(414) },
  { name: 'a URL of 16 000 bytes', method: 'GET', target: padTo(16_000), expect: refused(414) },
  { name: 'a URL of 20 000 bytes (over the header limit too)', raw: rawGet(padTo(20_000)), expect: parser(414) },
  { name: 'a URL of 100 000 bytes', raw: rawGet(padTo(100_000)), expect: parser(414) },
  { name: 'a 20 000-byte header', raw: rawGet('/api/get-all', `X-Big: ${'a'.repeat(20_000)}\r\n`), expect: parser(431) },
  { name: '200 headers of 100 bytes', raw: rawGet('/api/get-all', Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'v'.repeat(94)}\r\n`).join('')), expect: parser(431) },
  { name: 'a 17 000-byte cookie', raw: rawGet('/api/get-all', `Cookie: a=${'c'.repeat(17_000)}\r\n`), expect: parser(431) },
]);

// Header injection and framing attacks, on the raw socket: the parser refuses them (JSON
// 400, then close) or they are ordinary requests that forward nothing unusual.
add('header injection and framing', [
  { name: 'a bare LF inside a header value', raw: rawGet('/api/get-all', 'X-A: a\nInjected: b\r\n'), expect: parser(400) },
  { name: 'a bare CR inside a header value', raw: rawGet('/api/get-all', 'X-A: a\rInjected: b\r\n'), expect: parser(400) },
  { name: 'a NUL inside a header value', raw: rawGet('/api/get-all', 'X-A: a\u0000b\r\n'), expect: parser(400) },
  { name: 'a space inside a header name', raw: rawGet('/api/get-all', 'X A: b\r\n'), expect: parser(400) },
  { name: 'an obsolete folded header line', raw: rawGet('/api/get-all', 'X-A: a\r\n  folded\r\n'), expect: parser(400) },
  { name: 'a CR/LF pair smuggled into the Content-Type value', raw: rawPost('/api/create', 'Content-Type: application/json\rX-Injected: 1\r\nContent-Length: 2\r\n', '{}'), expect: parser(400) },
  { name: 'a raw space in the URL', raw: 'GET /api/get all HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n', expect: parser(400) },
  { name: 'a tab in the URL', raw: 'GET /api/get-all\t HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n', expect: parser(400) },
  { name: 'raw non-ASCII bytes in the URL', raw: Buffer.concat([Buffer.from('GET /api/get-asset-id/'), Buffer.from([0xc3, 0xa9]), Buffer.from(' HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n')]), expect: parser(400) },
  { name: 'two different Content-Length headers', raw: rawPost('/api/create', 'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n', '{}'), expect: parser(400) },
  { name: 'a Content-Length list', raw: rawPost('/api/create', 'Content-Type: application/json\r\nContent-Length: 2, 3\r\n', '{}'), expect: parser(400) },
  { name: 'Content-Length and Transfer-Encoding together', raw: rawPost('/api/create', 'Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), expect: parser(400) },
  { name: 'an unknown Transfer-Encoding', raw: rawPost('/api/create', 'Content-Type: application/json\r\nTransfer-Encoding: xchunked\r\n', '{}'), expect: parser(400) },
  { name: 'chunked not last in Transfer-Encoding', raw: rawPost('/api/create', 'Content-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n', '{}'), expect: parser(400) },
  { name: 'an invalid chunk size', raw: rawPost('/api/create', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n'), expect: parser(400) },
  { name: 'no Host header', raw: 'GET /api/get-all HTTP/1.1\r\nConnection: close\r\n\r\n', expect: refused(400) },
  { name: 'two Host headers', raw: 'GET /api/get-all HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', expect: refused(400) },
  {
    name: 'an encoded CR/LF in X-Request-Id is replaced, not echoed',
    method: 'GET',
    target: '/api/get-all?per_page=1',
    headers: { 'x-request-id': 'abc%0d%0aSet-Cookie:%20x=1' },
    expect: forwarded(ASSETS, 200),
  },
  { name: 'an absolute-form target cannot change the upstream', raw: rawGet('http://evil.example/api/get-all?per_page=1'), expect: forwarded(ASSETS, 200) },
  { name: 'a request line whose version is on the next line', raw: 'GET /api/get-all?per_page=1\r\nX-Injected: y HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n', expect: forwarded(ASSETS, 200) },
]);

// Methods: unknown ones die in the parser; known ones the API does not take are 404/405.
const methodOn = (method: string, target: string, expectation: Expectation): Omit<Case, 'category'> => ({
  name: `${method.replace('\u0000', '\\0')} ${target}`,
  raw: `${method} ${target} HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  expect: expectation,
});
add('unknown and unexpected methods', [
  methodOn('FOO', '/api/get-all', parser(400)),
  methodOn('BREW', '/api/get-all', parser(400)),
  methodOn('get', '/api/get-all', parser(400)),
  methodOn('G\u0000T', '/api/get-all', parser(400)),
  methodOn('PRI', '*', parser(400)),
  { name: 'CONNECT 127.0.0.1:80', raw: 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n', expect: parser(400) },
  methodOn('PROPFIND', '/api/get-all', refused(404)),
  methodOn('M-SEARCH', '/api/get-all', refused(404)),
  methodOn('PURGE', '/api/get-all', refused(404)),
  methodOn('LINK', '/api/get-all', refused(404)),
  methodOn('MKCOL', '/api/grade/1/A', refused(404)),
  methodOn('REPORT', '/api/create', refused(404)),
  methodOn('TRACE', '/api/get-all', refused(405)),
  methodOn('PATCH', '/api/get-all', refused(405)),
  methodOn('DELETE', '/api/grade/1/A', refused(405)),
  methodOn('POST', '/api/get-asset-id/1', refused(405)),
  methodOn('GET', '/api/create', refused(405)),
  methodOn('PUT', '/api/list', refused(405)),
  methodOn('PATCH', '/api/auth', refused(405)),
  methodOn('OPTIONS', '/api/grade/1/A', refused(405)),
  methodOn('SEARCH', '/api/get-all', refused(404)),
]);

// Prototype pollution: refused wherever it appears in a JSON body, whatever the API.
const POLLUTING = [
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":{"__proto__":{"polluted":true}}}',
  '[{"__proto__":{"polluted":true}}]',
  '{"\\u005f_proto__":{"polluted":true}}',
  '{"__\\u0070roto__":{"polluted":true}}',
  '{"__proto__" :\n {"polluted":true}}',
  '{"price":1,"__proto__":{"price":"x"}}',
  '{"constructor":{"prototype":null}}',
  '{"make":"Dell","nested":[[{"constructor":{"prototype":{"isAdmin":true}}}]]}',
  '{"__proto__":[]}',
  '{"__proto__":null}',
];
add('prototype pollution', [
  ...POLLUTING.map((body) => post('/api/create', body, refused(400))),
  ...['{"price":1,"__proto__":{"polluted":true}}', '{"price":1,"constructor":{"prototype":{"polluted":true}}}', '{"price":1,"a":{"__proto__":{}}}', '{"price":1,"a":[{"constructor":{"prototype":{}}}]}'].map((body) =>
    put('/api/grade/1/A', body, refused(400)),
  ),
  ...POLLUTING.slice(0, 4).map((body) => post('/api/auth', body, refused(400))),
  ...POLLUTING.slice(0, 4).map((body) => post('/api/create-request', body, refused(400))),
  ...POLLUTING.slice(0, 4).map((body) => put('/api/edit-asset-id/1', body, refused(400))),
  // Look-alikes that are ordinary field names.
  post('/api/create', '{"constructor":"x"}', forwarded(CREATE, 400, upstreamRefused(400))),
  post('/api/create', '{"constructor":{"name":"x"}}', forwarded(CREATE, 400, upstreamRefused(400))),
  post('/api/create', '{"proto":1,"__proto":2,"_proto_":3}', forwarded(CREATE, 400, upstreamRefused(400))),
  put('/api/edit-asset-id/1', '{"prototype":{"polluted":true}}', forwarded(EDIT, 400, upstreamRefused(400))),
  put('/api/edit-asset-id/1', '{"make":"__proto__"}', forwarded(EDIT, 200, (json) => expect(json.data.make).toBe('__proto__'))),
]);

// ---- Running it ---------------------------------------------------------------------

interface Answer {
  /** 0 when the connection was closed without an answer. */
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function send(c: Case): Promise<Answer> {
  if (c.raw !== undefined) {
    try {
      return await rawSocket(stack.url, c.raw);
    } catch {
      return { status: 0, headers: {}, json: undefined }; // reset before any byte came back
    }
  }
  const headers = { ...c.headers };
  if (c.body !== undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = Buffer.byteLength(c.body);
  delete headers['transfer-encoding']; // node:http chunks a body without Content-Length by itself
  try {
    const res: RawResponse = await rawRequest(stack.url, c.method ?? 'GET', c.target ?? '/', { headers, body: c.body });
    return res;
  } catch {
    // The gateway may answer (413) and close while a large body is still being written.
    return { status: 0, headers: {}, json: undefined };
  }
}

function expectOurErrorShape(res: Answer, status: number): void {
  expect(res.status).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.json).toMatchObject({ status: 'error', message: expect.any(String) });
}

describe('the bad-input suite', () => {
  it('has at least 150 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  it.each(cases.map((c) => [`${c.category}: ${c.name}`, c] as const))('%s', async (_label, c) => {
    const res = await send(c);
    const calls = stack.sim.calls();
    const e = c.expect;
    if (e.kind === 'refused') {
      expectOurErrorShape(res, e.status);
      if (e.fields) schemaFields(...e.fields)(res.json);
      if (e.message !== undefined) expect(res.json.message).toBe(e.message);
      expect(calls, 'nothing may reach the simulator').toEqual({});
    } else if (e.kind === 'forwarded') {
      expect(res.status).toBe(e.status);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(['success', 'error']).toContain(res.json?.status);
      expect(calls, 'exactly one call reaches the simulator').toEqual({ [e.endpoint]: 1 });
      e.check?.(res.json);
    } else {
      if (res.status !== 0) expectOurErrorShape(res, e.status);
      expect(calls, 'nothing may reach the simulator').toEqual({});
      // The parser closed this connection; the gateway serves the next one.
      expect((await rawRequest(stack.url, 'GET', '/health')).status).toBe(200);
    }
    if (c.headers?.['x-request-id'] !== undefined) expect(res.headers['x-request-id']).not.toBe(c.headers['x-request-id']);
  });

  it('leaves the gateway healthy and working', async () => {
    const health = await rawRequest(stack.url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', authenticated: true });
    const list = await rawRequest(stack.url, 'GET', '/api/get-all?per_page=2');
    expect(list.status).toBe(200);
    expect(list.json.data).toHaveLength(2);
    const grade = await rawRequest(stack.url, 'PUT', '/api/grade/2/Z', { headers: { ...JSON_TYPE, 'content-length': 11 }, body: '{"price":9}' });
    expect(grade.status).toBe(200);
    // The gateway runs in this process: nothing it parsed may have reached Object.prototype.
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
    expect(probe.price).toBeUndefined();
  });
});
