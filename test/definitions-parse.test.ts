import { describe, expect, it } from 'vitest';
import { DefinitionError } from '../src/definitions/errors.js';
import { definitionProblems, isValidApiName, parseDefinition } from '../src/definitions/parse.js';

const minimal = { method: 'GET', path: '/v1/asset/{id}', description: 'Get Asset by ID' };

/** The DefinitionError thrown for `json`, failing the test when nothing is thrown. */
function errorOf(name: string, json: unknown): DefinitionError {
  try {
    parseDefinition(name, json);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return err as DefinitionError;
  }
  throw new Error(`expected ${name}.json to be refused`);
}

describe('parseDefinition: valid files', () => {
  it('fills defaults for a minimal file', () => {
    const def = parseDefinition('get-asset-id', minimal);
    expect(def.name).toBe('get-asset-id');
    expect(def.method).toBe('GET');
    expect(def.path).toBe('/v1/asset/{id}');
    expect(def.description).toBe('Get Asset by ID');
    expect(def.auth).toBe(true);
    expect(def.params).toEqual({ id: 'string' });
    expect(def.query).toEqual({});
    expect(def.body).toBeUndefined();
    expect(def.timeouts).toEqual({});
    expect(def.retry).toEqual({});
    expect('body' in def).toBe(false);
    expect(def.template.names).toEqual(['id']);
    expect(def.template.render({ id: '5' })).toBe('/v1/asset/5');
  });

  it('maps every optional field', () => {
    const def = parseDefinition('grade', {
      method: 'PUT',
      path: '/v1/pricebook/{id}/{grade}',
      description: 'Update pricebook grade',
      auth: false,
      params: { id: 'integer' },
      query: { page_num: { type: 'integer', description: 'Page', required: true }, q: { type: 'string' } },
      body: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] },
      timeout_ms: 600000,
    });
    expect(def.auth).toBe(false);
    expect(def.params).toEqual({ id: 'integer', grade: 'string' });
    expect(def.query).toEqual({ page_num: { type: 'integer', description: 'Page', required: true }, q: { type: 'string' } });
    expect(def.body).toEqual({ type: 'object', properties: { price: { type: 'number' } }, required: ['price'] });
    expect(def.timeouts).toEqual({ headersMs: 600000, bodyMs: 600000 });
  });

  it('maps the per-API timeouts and retry; specific timeouts override timeout_ms', () => {
    const def = parseDefinition('t', {
      ...minimal,
      timeout_ms: 5000,
      connect_timeout_ms: 100,
      body_timeout_ms: 9000,
      retry: { attempts: 5, budget_ms: 2000 },
    });
    expect(def.timeouts).toEqual({ connectMs: 100, headersMs: 5000, bodyMs: 9000 });
    expect(def.retry).toEqual({ attempts: 5, budgetMs: 2000 });
    expect(parseDefinition('t', { ...minimal, retry: false }).retry).toEqual({ attempts: 1 });
  });

  it.each([
    [{ retry: true }, 'retry'],
    [{ retry: { attempts: 0 } }, 'retry.attempts'],
    [{ retry: { attempts: 11 } }, 'retry.attempts'],
    [{ retry: { tries: 2 } }, 'retry.tries'],
    [{ connect_timeout_ms: 0 }, 'connect_timeout_ms'],
    [{ body_timeout_ms: 1.5 }, 'body_timeout_ms'],
  ])('refuses bad resilience fields %j, naming %s', (extra, field) => {
    expect(() => parseDefinition('t', { ...minimal, ...extra })).toThrow(field);
  });

  it('returns a deeply frozen copy that later changes to the input cannot reach', () => {
    const json = { ...minimal, params: { id: 'integer' }, body: { type: 'object', properties: { a: { type: 'string' } } } };
    const def = parseDefinition('x', json);
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.params)).toBe(true);
    expect(Object.isFrozen(def.body)).toBe(true);
    expect(Object.isFrozen((def.body as { properties: object }).properties)).toBe(true);
    json.body.properties.a.type = 'integer';
    json.params.id = 'string';
    expect(def.body).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    expect(def.params).toEqual({ id: 'integer' });
  });

  it('accepts every method and body schemas with nullable union types', () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(parseDefinition('m', { ...minimal, method }).method).toBe(method);
    }
    const body = { type: 'object', properties: { year: { type: ['integer', 'null'] } } };
    expect(parseDefinition('b', { ...minimal, body }).body).toEqual(body);
  });

  it('accepts the boundary timeouts 1 and 600000', () => {
    expect(parseDefinition('t', { ...minimal, timeout_ms: 1 }).timeouts.headersMs).toBe(1);
    expect(parseDefinition('t', { ...minimal, timeout_ms: 600000 }).timeouts.bodyMs).toBe(600000);
  });
});

describe('parseDefinition: problems', () => {
  it('names the file and every problem with its field path in one message', () => {
    const err = errorOf('create', { ...minimal, method: 'FETCH', params: { idd: 'integer' } });
    expect(err.message).toBe(
      'create.json: method: expected one of GET, POST, PUT, PATCH, DELETE, got "FETCH"; params.idd: not a placeholder of path (placeholders: id)',
    );
    expect(err.code).toBe('DEFINITION_INVALID');
    expect(err.problems).toEqual([
      { file: 'create.json', field: 'method', message: 'expected one of GET, POST, PUT, PATCH, DELETE, got "FETCH"' },
      { file: 'create.json', field: 'params.idd', message: 'not a placeholder of path (placeholders: id)' },
    ]);
  });

  it('uses the file label it is given', () => {
    expect(() => parseDefinition('create', { ...minimal, method: 'get' }, 'apis/create.json')).toThrow(/^apis\/create\.json: method: /);
  });

  it('refuses unknown top-level fields (typos)', () => {
    const err = errorOf('x', { ...minimal, metod: 'GET' });
    expect(err.problems).toEqual([{ file: 'x.json', field: 'metod', message: expect.stringMatching(/^unknown field \(allowed: method, path/) }]);
  });

  it('reports missing required fields', () => {
    const err = errorOf('x', {});
    expect(err.problems.map((p) => `${p.field}: ${p.message}`)).toEqual(['method: required', 'path: required', 'description: required']);
  });

  it.each([
    ['method', { ...minimal, method: 'get' }, /^method: expected one of GET, POST, PUT, PATCH, DELETE, got "get"$/],
    ['method', { ...minimal, method: 1 }, /^method: expected one of GET/],
    ['path', { ...minimal, path: 42 }, /^path: expected string, got 42$/],
    ['path', { ...minimal, path: 'v1/asset' }, /^path: must start with "\/"$/],
    ['path', { ...minimal, path: '/v1/a{id}' }, /^path: segment "a\{id\}": a placeholder must be a whole path segment/],
    ['path', { ...minimal, path: '/v1/{id}/{id}' }, /^path: placeholder \{id\} appears more than once$/],
    ['path', { ...minimal, path: '/v1/{x-y}' }, /^path: placeholder \{x-y\}: name must match/],
    ['path', { ...minimal, path: '/v1/?a=1' }, /^path: must not contain "\?"/],
    ['path', { ...minimal, path: '/v1/#a' }, /^path: must not contain "#"/],
    ['path', { ...minimal, path: '/v1//a' }, /^path: must not contain an empty segment/],
    ['path', { ...minimal, path: '/v1/../a' }, /^path: must not contain a "\.\." segment/],
    ['description', { ...minimal, description: '' }, /^description: must not be empty$/],
    ['description', { ...minimal, description: '   ' }, /^description: must not be empty$/],
    ['auth', { ...minimal, auth: 'yes' }, /^auth: expected boolean, got "yes"$/],
    ['params', { ...minimal, params: { id: 'number' } }, /^params\.id: expected one of integer, string, got "number"$/],
    ['params', { ...minimal, params: ['id'] }, /^params: expected record, got an array$/],
    ['params', { ...minimal, path: '/v1/asset', params: { id: 'integer' } }, /^params\.id: not a placeholder of path \(path has no placeholders\)$/],
    ['params', { ...minimal, params: JSON.parse('{"__proto__": "integer"}') }, /^params\.__proto__: not a placeholder of path/],
    ['query', { ...minimal, query: { a: { type: 'int' } } }, /^query\.a\.type: expected one of integer, number, string, boolean, got "int"$/],
    ['query', { ...minimal, query: { a: { type: 'string', requried: true } } }, /^query\.a\.requried: unknown field \(allowed: type, description, required\)$/],
    ['query', { ...minimal, query: { a: 'string' } }, /^query\.a: expected object, got "string"$/],
    ['query', { ...minimal, query: { a: { type: 'string', required: 'yes' } } }, /^query\.a\.required: expected boolean/],
    ['query', { ...minimal, query: JSON.parse('{"__proto__": {"type": "string"}}') }, /^query\.__proto__: not a usable query parameter name$/],
    ['body', { ...minimal, body: [] }, /^body: expected record, got an array$/],
    ['body', { ...minimal, body: true }, /^body: expected record, got true$/],
    ['body', { ...minimal, body: { type: 'objet' } }, /^body: not a valid JSON Schema: schema is invalid: data\/type/],
    ['body', { ...minimal, body: { type: 'object', requird: ['a'] } }, /^body: not a valid JSON Schema: strict mode: unknown keyword: "requird"$/],
    ['body', { ...minimal, body: { $ref: 'https://example.com/s.json' } }, /^body: not a valid JSON Schema: can't resolve reference/],
    ['timeout_ms', { ...minimal, timeout_ms: 0 }, /^timeout_ms: must be at least 1, got 0$/],
    ['timeout_ms', { ...minimal, timeout_ms: -5 }, /^timeout_ms: must be at least 1/],
    ['timeout_ms', { ...minimal, timeout_ms: 600001 }, /^timeout_ms: must be at most 600000, got 600001$/],
    ['timeout_ms', { ...minimal, timeout_ms: 1.5 }, /^timeout_ms: expected an integer, got 1.5$/],
    ['timeout_ms', { ...minimal, timeout_ms: '1000' }, /^timeout_ms: expected number, got "1000"$/],
  ])('%s: %j is refused', (_field, json, message) => {
    const err = errorOf('x', json);
    expect(err.problems).toHaveLength(1);
    const p = err.problems[0]!;
    expect(`${p.field}: ${p.message}`).toMatch(message);
  });

  it.each([[[]], [null], ['GET /v1/asset'], [42]])('refuses a top level that is not an object: %j', (json) => {
    const err = errorOf('x', json);
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(/^x\.json: expected a JSON object at the top level, got /);
  });

  it.each(['auth', 'list'])('refuses the reserved name %s', (name) => {
    expect(errorOf(name, minimal).message).toBe(
      `${name}.json: file name: API name "${name}" is reserved: the gateway's own route /api/${name} would shadow it`,
    );
  });

  it.each(['Get-All', '-x', '_x', 'a.b', 'a b', '', '..', 'a/b', 'x'.repeat(65), 'é'])('refuses the name %j', (name) => {
    expect(errorOf(name, minimal).problems[0]).toMatchObject({ field: 'file name', message: expect.stringMatching(/must match/) });
  });

  it('accepts valid names', () => {
    for (const name of ['a', '0', 'get-all', 'traking-list', 'a_b', 'x'.repeat(64), 'authx', 'lists']) {
      expect(isValidApiName(name)).toBe(true);
      expect(parseDefinition(name, minimal).name).toBe(name);
    }
    expect(isValidApiName('auth')).toBe(false);
    expect(isValidApiName('__proto__')).toBe(false);
  });

  it('lists every problem of a file with many', () => {
    const err = errorOf('Bad', {
      metod: 'GET',
      method: 'get',
      path: '/v1/a{id}',
      description: 7,
      params: { id: 'int' },
      body: { type: 'object', requird: [] },
      timeout_ms: 0,
    });
    expect(err.problems.map((p) => p.field)).toEqual(['file name', 'method', 'path', 'description', 'params.id', 'body', 'timeout_ms', 'metod']);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message.startsWith('Bad.json: file name: ')).toBe(true);
  });
});

describe('query documentation that clashes with the path', () => {
  it('refuses a query parameter named like a path placeholder', () => {
    const problems = definitionProblems('x', { method: 'GET', path: '/v1/asset/{id}', description: 'd', query: { id: { type: 'integer' }, page: { type: 'integer' } } }, 'x.json');
    expect(problems).toEqual([{ file: 'x.json', field: 'query.id', message: '{id} is a path parameter of this API: document it in params, not query' }]);
  });
});
