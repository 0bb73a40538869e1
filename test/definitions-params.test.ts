import { describe, expect, it } from 'vitest';
import { resolveUpstreamPath, type ResolveResult } from '../src/definitions/params.js';
import { parseDefinition } from '../src/definitions/parse.js';

const grade = parseDefinition('grade', {
  method: 'PUT',
  path: '/v1/pricebook/{id}/{grade}',
  description: 'Update pricebook grade',
  params: { id: 'integer', grade: 'string' },
});
const byId = parseDefinition('get-asset-id', { method: 'GET', path: '/v1/asset/{id}', description: 'Get Asset by ID', params: { id: 'integer' } });
const getAll = parseDefinition('get-all', { method: 'GET', path: '/v1/asset', description: 'Get all Assets' });
const note = parseDefinition('note', { method: 'GET', path: '/v1/note/{slug}', description: 'A string placeholder not listed in params' });

function resolve(def = grade, segments: string[] = [], rawQuery = '', body?: unknown): ResolveResult {
  return resolveUpstreamPath(def, { segments, rawQuery, body });
}

/** The upstream path, failing with the message when resolution failed. */
function pathOf(result: ResolveResult): string {
  if (!result.ok) throw new Error(`expected ok, got: ${result.message}`);
  return result.path;
}

function failure(result: ResolveResult): { message: string; param?: string } {
  if (result.ok) throw new Error(`expected a failure, got ${result.path}`);
  const { ok: _ok, ...rest } = result;
  return rest;
}

describe('positional segments', () => {
  it('fill placeholders in order', () => {
    expect(resolve(grade, ['7', 'A'])).toEqual({ ok: true, path: '/v1/pricebook/7/A', forwardQuery: '' });
    expect(resolve(byId, ['42'])).toEqual({ ok: true, path: '/v1/asset/42', forwardQuery: '' });
    expect(resolve(note, ['hello'])).toEqual({ ok: true, path: '/v1/note/hello', forwardQuery: '' });
  });

  it.each([
    ['A%2FB', 'A%2FB'],
    ['A%2fB', 'A%2FB'],
    ['%C3%A9', '%C3%A9'],
    ['é', '%C3%A9'],
    ['%25', '%25'],
    ['%252F', '%252F'],
    ['A+B', 'A%2BB'],
    ['A%2BB', 'A%2BB'],
    ['A%20B', 'A%20B'],
    ['%3F%23', '%3F%23'],
    ['%2E%2E%2E', '...'],
    ['a;b=c', 'a%3Bb%3Dc'],
    ['a%5Cb', 'a%5Cb'],
    ['%7E', '~'],
    ['%C2%80', '%C2%80'],
  ])('segment %j is decoded once and re-encoded once as %j', (segment, encoded) => {
    expect(pathOf(resolve(grade, ['1', segment]))).toBe(`/v1/pricebook/1/${encoded}`);
  });

  it('an empty segment counts as missing', () => {
    expect(failure(resolve(byId, ['']))).toEqual({ message: expect.stringMatching(/^missing path parameter "id"/), param: 'id' });
    expect(failure(resolve(grade, ['', 'A']))).toMatchObject({ param: 'id' });
    expect(failure(resolve(grade, ['1', '']))).toMatchObject({ param: 'grade', message: expect.stringMatching(/^missing path parameter "grade"/) });
  });

  it('an empty segment leaves room for the query or body', () => {
    expect(pathOf(resolve(byId, [''], 'id=5'))).toBe('/v1/asset/5');
    expect(pathOf(resolve(grade, ['', 'A'], 'id=3'))).toBe('/v1/pricebook/3/A');
    expect(pathOf(resolve(grade, ['', 'A'], '', { id: 9 }))).toBe('/v1/pricebook/9/A');
  });

  it('more segments than placeholders are refused', () => {
    expect(failure(resolve(byId, ['1', '2']))).toEqual({ message: 'too many path segments: API "get-asset-id" takes at most 1 ({id}), got 2' });
    expect(failure(resolve(grade, ['1', 'A', 'B']))).toEqual({ message: 'too many path segments: API "grade" takes at most 2 ({id}/{grade}), got 3' });
    expect(failure(resolve(getAll, ['x']))).toEqual({ message: 'too many path segments: API "get-all" takes no path parameters, got 1' });
    expect(failure(resolve(byId, ['1', '']))).toEqual({ message: expect.stringMatching(/^too many path segments/) });
  });

  it.each(['%', '%2', '%zz', '%C3', '%FF', 'A%2'])('malformed percent-encoding %j is refused', (segment) => {
    expect(failure(resolve(grade, ['1', segment]))).toEqual({
      message: `path parameter "grade": invalid percent-encoding in path segment ${JSON.stringify(segment)}`,
      param: 'grade',
    });
  });
});

describe('query parameters', () => {
  it.each([
    ['grade=A%2BB', 'A%2BB'],
    ['grade=A+B', 'A%20B'],
    ['grade=A%20B', 'A%20B'],
    ['grade=A%2FB', 'A%2FB'],
    ['grade=%C3%A9', '%C3%A9'],
    ['grade=%25', '%25'],
    ['grade=a=b', 'a%3Db'],
    ['gr%61de=x', 'x'],
  ])('%j fills {grade} as %j', (query, encoded) => {
    expect(resolve(grade, ['1'], query)).toEqual({ ok: true, path: `/v1/pricebook/1/${encoded}`, forwardQuery: '' });
  });

  it('fill every placeholder when there are no segments', () => {
    expect(resolve(grade, [], 'grade=B&id=12')).toEqual({ ok: true, path: '/v1/pricebook/12/B', forwardQuery: '' });
  });

  it('consumed keys are removed; the rest is forwarded byte-for-byte in order', () => {
    expect(resolve(byId, [], 'b=2&id=5&a=1')).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: 'b=2&a=1' });
    expect(resolve(byId, [], 'x=1&x=2&id=5&y=%20+%2b&z')).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: 'x=1&x=2&y=%20+%2b&z' });
    expect(resolve(byId, [], 'id=5')).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: '' });
    expect(resolve(byId, [], 'i%64=5&q=%C3%A9')).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: 'q=%C3%A9' });
    expect(resolve(byId, [], 'ID=1&id+=2&id=5')).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: 'ID=1&id+=2' });
  });

  it('an untouched query is forwarded exactly as received', () => {
    const raw = 'a=1&&b=%25zz&a=2&c=%C3%A9&d=+&e=%00&%0D%0A=1';
    expect(resolve(byId, ['5'], raw)).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: raw });
    expect(resolve(getAll, [], raw)).toEqual({ ok: true, path: '/v1/asset', forwardQuery: raw });
    expect(resolve(getAll, [], 'id=5&per_page=10')).toEqual({ ok: true, path: '/v1/asset', forwardQuery: 'id=5&per_page=10' });
  });

  it('a repeated key is refused, not joined', () => {
    expect(failure(resolve(byId, [], 'id=1&id=2'))).toEqual({ message: 'path parameter "id" is given more than once in the query', param: 'id' });
    expect(failure(resolve(byId, [], 'id=1&id=1'))).toMatchObject({ param: 'id' });
    expect(failure(resolve(byId, [], 'id=1&i%64=2'))).toMatchObject({ param: 'id' });
    expect(failure(resolve(byId, [], 'id=&id=2'))).toMatchObject({ param: 'id' });
  });

  it('a value given both positionally and in the query is refused', () => {
    expect(failure(resolve(byId, ['1'], 'id=1'))).toEqual({
      message: 'path parameter "id" is given both as a path segment and as a query parameter',
      param: 'id',
    });
    expect(failure(resolve(byId, ['1'], 'id='))).toMatchObject({ param: 'id' });
    expect(failure(resolve(grade, ['1', 'A'], 'grade=B'))).toMatchObject({ param: 'grade' });
  });

  it('an empty query value counts as missing but is still not forwarded', () => {
    expect(failure(resolve(byId, [], 'id=&x=1'))).toMatchObject({ param: 'id', message: expect.stringMatching(/^missing path parameter "id"/) });
    expect(failure(resolve(byId, [], 'id'))).toMatchObject({ param: 'id' });
    expect(resolve(byId, [], 'id=&x=1', { id: 4 })).toEqual({ ok: true, path: '/v1/asset/4', forwardQuery: 'x=1' });
  });

  it.each(['%', '%zz', '%C3', '%FF', '%C0', 'x%C0'])('a malformed value %j for a placeholder is refused, naming the parameter', (value) => {
    expect(failure(resolve(grade, ['1'], `grade=${value}`))).toEqual({
      message: 'invalid percent-encoding in the value of query parameter "grade"',
      param: 'grade',
    });
  });

  it.each([byId, getAll])('a malformed value is refused for every API ($name), without echoing it', (def) => {
    const segments = def === byId ? ['1'] : [];
    expect(failure(resolve(def, segments, 'password=x%C0'))).toEqual({ message: 'invalid percent-encoding in the value of query parameter "password"' });
    expect(failure(resolve(def, segments, 'a=1&b=%zz&c=3'))).toEqual({ message: 'invalid percent-encoding in the value of query parameter "b"' });
    expect(failure(resolve(def, segments, 'a=%'))).toEqual({ message: 'invalid percent-encoding in the value of query parameter "a"' });
    expect(failure(resolve(def, segments, 'a=%ED%A0%80'))).toMatchObject({ message: expect.stringMatching(/^invalid percent-encoding/) });
  });

  it.each([byId, getAll])('a malformed key is refused for every API ($name)', (def) => {
    const segments = def === byId ? ['1'] : [];
    expect(failure(resolve(def, segments, '%zz=1'))).toEqual({ message: 'invalid percent-encoding in query parameter name "%zz"' });
    expect(failure(resolve(def, segments, 'a=1&b%=2'))).toEqual({ message: 'invalid percent-encoding in query parameter name "b%"' });
    expect(failure(resolve(def, segments, '%C0'))).toEqual({ message: 'invalid percent-encoding in query parameter name "%C0"' });
  });
});

describe('JSON body fields', () => {
  it('fill placeholders from top-level string or number fields; the body is not changed', () => {
    const body = { id: 42, grade: 'A/B', price: 10 };
    expect(resolve(grade, [], '', body)).toEqual({ ok: true, path: '/v1/pricebook/42/A%2FB', forwardQuery: '' });
    expect(body).toEqual({ id: 42, grade: 'A/B', price: 10 });
    expect(pathOf(resolve(byId, [], '', { id: '7' }))).toBe('/v1/asset/7');
    expect(pathOf(resolve(grade, ['1'], '', { grade: 5 }))).toBe('/v1/pricebook/1/5');
    expect(pathOf(resolve(byId, [], '', { id: 0 }))).toBe('/v1/asset/0');
  });

  it('are ignored when the body is not a plain object', () => {
    for (const body of [[{ id: 1 }], '5', 5, null, undefined, true]) {
      expect(failure(resolve(byId, [], '', body))).toMatchObject({ param: 'id', message: expect.stringMatching(/^missing path parameter/) });
    }
  });

  it('do not read inherited properties', () => {
    const def = parseDefinition('ctor', { method: 'POST', path: '/v1/{constructor}', description: 'x' });
    expect(failure(resolve(def, [], '', {}))).toMatchObject({ param: 'constructor', message: expect.stringMatching(/^missing/) });
    expect(pathOf(resolve(def, [], '', JSON.parse('{"constructor": "c"}')))).toBe('/v1/c');
  });

  it.each([
    [true, 'got boolean'],
    [null, 'got null'],
    [{ a: 1 }, 'got object'],
    [[1], 'got an array'],
  ])('refuse a field of the wrong JSON type: %j', (value, got) => {
    expect(failure(resolve(byId, [], '', { id: value }))).toEqual({
      message: `path parameter "id": body field must be a string or a number, ${got}`,
      param: 'id',
    });
  });

  it.each([-1, 1.5, 2 ** 53, 1e21])('refuse %d for an integer parameter', (value) => {
    expect(failure(resolve(byId, [], '', { id: value }))).toMatchObject({ param: 'id', message: expect.stringMatching(/must be a non-negative integer/) });
  });

  it('an empty string field counts as missing', () => {
    expect(failure(resolve(byId, [], '', { id: '' }))).toMatchObject({ param: 'id', message: expect.stringMatching(/^missing/) });
  });
});

describe('precedence', () => {
  it('segment beats body, query beats body, without error', () => {
    expect(pathOf(resolve(byId, ['1'], '', { id: 2 }))).toBe('/v1/asset/1');
    expect(resolve(byId, [], 'id=3', { id: 2 })).toEqual({ ok: true, path: '/v1/asset/3', forwardQuery: '' });
  });

  it('each placeholder picks its own source', () => {
    expect(pathOf(resolve(grade, ['1'], '', { id: 99, grade: 'C' }))).toBe('/v1/pricebook/1/C');
    expect(resolve(grade, [], 'grade=Q&x=1', { id: 8, grade: 'C' })).toEqual({ ok: true, path: '/v1/pricebook/8/Q', forwardQuery: 'x=1' });
  });
});

describe('value types', () => {
  it.each(['0', '007', '123456789012345678'])('integer %j is accepted', (value) => {
    expect(pathOf(resolve(byId, [value]))).toBe(`/v1/asset/${value}`);
  });

  it.each(['abc', '-1', '1.5', '1e3', '%201', '1%20', '0x1', '+1', '1234567890123456789', '%EF%BC%91'])('integer %j is refused', (segment) => {
    expect(failure(resolve(byId, [segment]))).toEqual({
      message: expect.stringMatching(/^path parameter "id" must be a non-negative integer \(1 to 18 digits\), got /),
      param: 'id',
    });
  });

  it('integer from the query is checked too', () => {
    expect(failure(resolve(byId, [], 'id=1+2'))).toMatchObject({ param: 'id', message: expect.stringMatching(/got "1 2"$/) });
  });

  it('string: 1 to 1024 characters', () => {
    expect(pathOf(resolve(grade, ['1', 'x'.repeat(1024)]))).toBe(`/v1/pricebook/1/${'x'.repeat(1024)}`);
    expect(failure(resolve(grade, ['1', 'x'.repeat(1025)]))).toEqual({ message: 'path parameter "grade" is longer than 1024 characters', param: 'grade' });
    // 1024 characters that take 3 bytes each still count as 1024.
    expect(pathOf(resolve(grade, ['1', '%E2%82%AC'.repeat(1024)]))).toBe(`/v1/pricebook/1/${'%E2%82%AC'.repeat(1024)}`);
  });

  it.each([
    ['NUL', '%00'],
    ['CR', '%0D'],
    ['LF', '%0a'],
    ['CR LF', 'A%0D%0ASet-Cookie:%20x=1'],
    ['tab', 'A%09B'],
    ['unit separator', '%1F'],
    ['DEL', 'A%7F'],
  ])('a control character (%s) is refused from every source, naming the parameter', (_what, encoded) => {
    const problem = { message: 'path parameter "grade" must not contain control characters (U+0000 to U+001F, U+007F)', param: 'grade' };
    expect(failure(resolve(grade, ['1', encoded]))).toEqual(problem);
    expect(failure(resolve(grade, ['1'], `grade=${encoded}`))).toEqual(problem);
    expect(failure(resolve(grade, ['1'], '', { grade: decodeURIComponent(encoded) }))).toEqual(problem);
    expect(failure(resolve(note, [encoded]))).toMatchObject({ param: 'slug', message: expect.stringMatching(/must not contain control characters/) });
    expect(failure(resolve(byId, [`1${encoded}`]))).toMatchObject({ param: 'id' });
  });

  it('characters next to the control ranges stay allowed', () => {
    expect(pathOf(resolve(grade, ['1', '%20%7E%C2%80%C2%A0']))).toBe('/v1/pricebook/1/%20~%C2%80%C2%A0');
    expect(pathOf(resolve(grade, ['1'], '', { grade: '/\\?#% é' }))).toBe('/v1/pricebook/1/%2F%5C%3F%23%25%20%C3%A9');
  });

  it('a string body field with a lone surrogate is refused', () => {
    expect(failure(resolve(grade, ['1'], '', { grade: 'a\ud800' }))).toEqual({ message: 'path parameter "grade" is not valid Unicode', param: 'grade' });
  });

  it.each([
    ['segment .', ['1', '.'], '', undefined],
    ['segment ..', ['1', '..'], '', undefined],
    ['encoded segment ..', ['1', '%2E%2E'], '', undefined],
    ['encoded segment .', ['1', '%2e'], '', undefined],
    ['query ..', ['1'], 'grade=..', undefined],
    ['query encoded .', ['1'], 'grade=%2E', undefined],
    ['body ..', ['1'], '', { grade: '..' }],
  ])('dot value refused: %s', (_what, segments, query, body) => {
    expect(failure(resolve(grade, segments, query, body))).toEqual({ message: 'path parameter "grade" must not be "." or ".."', param: 'grade' });
  });

  it('dot values are refused for integer parameters too', () => {
    expect(failure(resolve(byId, ['..']))).toEqual({ message: 'path parameter "id" must not be "." or ".."', param: 'id' });
  });
});

describe('missing values', () => {
  it('name the parameter and every way to give it', () => {
    expect(failure(resolve(grade, ['1']))).toEqual({
      message:
        'missing path parameter "grade": give it as a path segment (/api/grade/<id>/<grade>), as the query parameter "grade", or as a field of the JSON body',
      param: 'grade',
    });
  });

  it('APIs without placeholders need nothing', () => {
    expect(resolve(getAll, [], '', { id: 1 })).toEqual({ ok: true, path: '/v1/asset', forwardQuery: '' });
  });
});
