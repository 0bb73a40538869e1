// The OpenAPI 3.1 document: built from the definitions (pure), and served at /openapi.json
// for the live definition set, valid against the OpenAPI 3.1 schema, following reloads.
import { rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDefinition, type ApiDefinition } from '../src/definitions/index.js';
import { loadDefinitions } from '../src/definitions/load.js';
import { buildOpenApi, proxyPath, type OpenApiDocument, type OpenApiOperation } from '../src/docs/openapi.js';
import { VERSION } from '../src/version.js';
import { makeApisDir } from './helpers/apis-dir.js';
import { writeKeys } from './helpers/keys.js';
import { rawRequest } from './helpers/raw-http.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { REPO_ROOT, startGateway, tempDir, type StartedGateway } from './helpers/stack.js';

const ERROR_CODES = ['400', '401', '403', '404', '405', '429', '502', '503', '504'];
const BODY_ERROR_CODES = ['413', '415'];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every problem the OpenAPI 3.1 schema finds (a $ref that points nowhere included); [] when valid. */
async function problems(doc: unknown): Promise<unknown[]> {
  const validator = new Validator();
  const result = await validator.validate(doc as Record<string, unknown>);
  if (!result.valid) return Array.isArray(result.errors) ? result.errors : [result.errors];
  return validator.version === '3.1' ? [] : [`validated as OpenAPI ${validator.version}, not 3.1`];
}

/** The node a local $ref points to. */
function resolve(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), doc);
}

/** The operations of a path item, by method. */
function operationsOf(doc: OpenApiDocument, pathName: string): Record<string, OpenApiOperation> {
  const item = (doc.paths[pathName] ?? {}) as Record<string, OpenApiOperation>;
  return Object.fromEntries(Object.entries(item).filter(([method]) => HTTP_METHODS.includes(method)));
}

/** The one operation of an API, wherever the document put it. */
function operation(doc: OpenApiDocument, name: string): { path: string; method: string; op: OpenApiOperation } {
  const found = Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item as Record<string, OpenApiOperation>).flatMap(([method, op]) => (op.operationId === name ? [{ path: p, method, op }] : [])),
  );
  expect(found, `operations with operationId ${name}`).toHaveLength(1);
  return found[0]!;
}

const def = (name: string, json: Record<string, unknown>): ApiDefinition => parseDefinition(name, json);

describe('buildOpenApi (pure)', () => {
  const grade = def('grade', {
    method: 'PUT',
    path: '/v1/pricebook/{id}/{grade}',
    description: 'Update pricebook grade',
    params: { id: 'integer', grade: 'string' },
    body: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] },
  });

  it('puts path parameters in template order, positionally after /api/<name>, typed per definition', () => {
    const doc = buildOpenApi([grade], { version: '9.9.9', apiKeys: false });
    expect(Object.keys(doc.paths)).toContain('/api/grade/{id}/{grade}');
    const { method, op } = operation(doc, 'grade');
    expect(method).toBe('put');
    expect(op.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
      { name: 'grade', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('follows the template order, not the order of `params` nor the alphabet', () => {
    const reversed = def('swap', { method: 'GET', path: '/v1/a/{zeta}/b/{alpha}', description: 'd', params: { alpha: 'integer', zeta: 'string' } });
    expect(proxyPath(reversed)).toBe('/api/swap/{zeta}/{alpha}');
    const { op } = operation(buildOpenApi([reversed], { version: '1', apiKeys: false }), 'swap');
    expect(op.parameters?.map((p) => [p.name, (p.schema as { type: string }).type])).toEqual([
      ['zeta', 'string'],
      ['alpha', 'integer'],
    ]);
  });

  it('a placeholder without a declared type is a string', () => {
    const untyped = def('by-code', { method: 'GET', path: '/v1/code/{code}', description: 'd' });
    expect(operation(buildOpenApi([untyped], { version: '1', apiKeys: false }), 'by-code').op.parameters).toEqual([
      { name: 'code', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('documents query parameters with type, description and required', () => {
    const search = def('search', {
      method: 'GET',
      path: '/v1/search',
      description: 'Search',
      query: { q: { type: 'string', description: 'Words', required: true }, limit: { type: 'integer' }, exact: { type: 'boolean', description: 'Exact match' } },
    });
    expect(operation(buildOpenApi([search], { version: '1', apiKeys: false }), 'search').op.parameters).toEqual([
      { name: 'q', in: 'query', required: true, description: 'Words', schema: { type: 'string' } },
      { name: 'limit', in: 'query', schema: { type: 'integer' } },
      { name: 'exact', in: 'query', description: 'Exact match', schema: { type: 'boolean' } },
    ]);
  });

  it("uses the definition's body schema; a body API without one takes any JSON object; a GET API has no body", () => {
    const confirm = def('single-confirm', { method: 'POST', path: '/v1/asset/confirm', description: 'Confirm single asset' });
    const get = def('get-all', { method: 'GET', path: '/v1/asset', description: 'Get all Assets' });
    const doc = buildOpenApi([grade, confirm, get], { version: '1', apiKeys: false });

    expect(operation(doc, 'grade').op.requestBody).toEqual({ required: true, content: { 'application/json': { schema: grade.body } } });
    const free = operation(doc, 'single-confirm').op.requestBody as { required: boolean; content: Record<string, { schema: { type: string } }> };
    expect(free.required).toBe(false);
    expect(free.content['application/json']!.schema.type).toBe('object');
    expect(operation(doc, 'get-all').op.requestBody).toBeUndefined();
  });

  it('x-evercycle-upstream gives each proxied operation its upstream method and path, auth, and whether the body schema is the definition\'s', async () => {
    const signin = def('auth-signin', { method: 'POST', path: '/v1/auth/signin', description: 'Sign in', auth: false });
    const confirm = def('single-confirm', { method: 'POST', path: '/v1/asset/confirm', description: 'Confirm single asset' });
    const doc = buildOpenApi([grade, signin, confirm], { version: '1', apiKeys: false });
    expect(operation(doc, 'grade').op['x-evercycle-upstream']).toEqual({ method: 'PUT', path: '/v1/pricebook/{id}/{grade}', auth: true, body_schema: true });
    expect(operation(doc, 'auth-signin').op['x-evercycle-upstream']).toEqual({ method: 'POST', path: '/v1/auth/signin', auth: false, body_schema: false });
    // The placeholder schema of an undocumented body is not the definition's.
    expect(operation(doc, 'single-confirm').op.requestBody).toBeDefined();
    expect(operation(doc, 'single-confirm').op['x-evercycle-upstream']).toMatchObject({ body_schema: false });
    // The gateway's own endpoints call nothing upstream.
    expect(operation(doc, 'getHealth').op['x-evercycle-upstream']).toBeUndefined();
    expect(operation(doc, 'signIn').op['x-evercycle-upstream']).toBeUndefined();
    expect(await problems(doc)).toEqual([]);
  });

  it('413 and 415 are listed only for APIs that take a body', () => {
    const confirm = def('single-confirm', { method: 'POST', path: '/v1/asset/confirm', description: 'd' });
    const get = def('get-all', { method: 'GET', path: '/v1/asset', description: 'd' });
    const doc = buildOpenApi([confirm, get], { version: '1', apiKeys: false });
    expect(Object.keys(operation(doc, 'single-confirm').op.responses)).toEqual(expect.arrayContaining(BODY_ERROR_CODES));
    expect(Object.keys(operation(doc, 'get-all').op.responses)).not.toEqual(expect.arrayContaining(['413']));
    expect(Object.keys(operation(doc, 'get-all').op.responses)).not.toContain('415');
  });

  it("the gateway's own operationIds never collide with an API name (an API may be called 'health')", async () => {
    const health = def('health', { method: 'GET', path: '/v1/health', description: 'Upstream health' });
    const doc = buildOpenApi([health], { version: '1', apiKeys: false });
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, OpenApiOperation>).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(operation(doc, 'health').path).toBe('/api/health');
    expect(await problems(doc)).toEqual([]);
  });

  it('has a security scheme only when keys are configured; /health and /ready are open either way', async () => {
    const defs = (await loadDefinitions(path.join(REPO_ROOT, 'apis'))).list();
    const open = buildOpenApi(defs, { version: '1', apiKeys: false });
    expect(open.components.securitySchemes).toBeUndefined();
    expect(open.security).toBeUndefined();

    const keyed = buildOpenApi(defs, { version: '1', apiKeys: true });
    expect(keyed.components.securitySchemes).toEqual({
      bearerKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKeyHeader: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(keyed.security).toEqual([{ bearerKey: [] }, { apiKeyHeader: [] }]);
    expect(operation(keyed, 'getHealth').op.security).toEqual([]);
    expect(operation(keyed, 'getReady').op.security).toEqual([]);
    expect(operation(keyed, 'get-asset-id').op.security).toBeUndefined();

    expect(await problems(open)).toEqual([]);
    expect(await problems(keyed)).toEqual([]);
  });

  it('the validity check itself catches a broken document and a dangling $ref', async () => {
    const doc = buildOpenApi([grade], { version: '1', apiKeys: false });
    expect(await problems({ ...doc, paths: { 'no-slash': {} } })).not.toEqual([]);
    const dangling = structuredClone(doc);
    dangling.paths['/health']!.get!.responses['500'] = { $ref: '#/components/responses/Nope' };
    expect(await problems(dangling)).toEqual(["Can't resolve #/components/responses/Nope"]);
  });

  it('an empty definition set still gives a valid document (the gateway endpoints)', async () => {
    const doc = buildOpenApi([], { version: '1', apiKeys: false });
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/auth', '/api/list', '/health', '/ready']);
    expect(await problems(doc)).toEqual([]);
  });
});

describe('GET /openapi.json', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  let doc: OpenApiDocument;
  let apis: { name: string; method: string; path: string; description: string }[];

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startGateway(upstream.url);
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    doc = (await res.json()) as OpenApiDocument;
    apis = ((await (await fetch(`${gw.url}/api/list`)).json()) as { apis: typeof apis }).apis;
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('is a valid OpenAPI 3.1 document (schema and every $ref)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(await problems(doc)).toEqual([]);
  });

  it("names the gateway, its version, and a relative server (try-it-out calls this gateway)", () => {
    expect(doc.info).toMatchObject({ title: 'Evercycle gateway', version: VERSION });
    expect(doc.servers).toEqual([{ url: '/' }]);
  });

  it('has exactly one operation per loaded definition: tag apis, operationId = name, its method only', () => {
    const proxied = Object.entries(doc.paths).filter(([p]) => p.startsWith('/api/') && p !== '/api/list' && p !== '/api/auth');
    expect(proxied).toHaveLength(apis.length);
    for (const api of apis) {
      const { path: p, method, op } = operation(doc, api.name);
      expect(method).toBe(api.method.toLowerCase());
      expect(Object.keys(operationsOf(doc, p))).toEqual([method]);
      expect(op.tags).toEqual(['apis']);
      expect(op.summary).toBe(api.description);
      expect(op.description).toContain(`${api.method} ${api.path}`);
      expect(op['x-evercycle-upstream']).toMatchObject({ method: api.method, path: api.path });
      // Positional form: one segment per placeholder of the upstream path, in its order.
      const placeholders = [...api.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(p).toBe(`/api/${api.name}${placeholders.map((n) => `/{${n}}`).join('')}`);
    }
  });

  it('types the path parameters as the definitions do', () => {
    const pathParams = (name: string) => operation(doc, name).op.parameters?.filter((p) => p.in === 'path').map((p) => [p.name, (p.schema as { type: string }).type]);
    expect(pathParams('get-asset-id')).toEqual([['id', 'integer']]);
    expect(pathParams('by-org')).toEqual([['org_id', 'integer']]);
    expect(pathParams('grade')).toEqual([
      ['id', 'integer'],
      ['grade', 'string'],
    ]);
    expect(pathParams('get-all')).toEqual([]);
  });

  it('documents the query parameters and body schemas of the shipped definitions', async () => {
    const shipped = (await loadDefinitions(path.join(REPO_ROOT, 'apis'))).get('grade')!;
    expect(operation(doc, 'get-all').op.parameters).toEqual([
      { name: 'page_num', in: 'query', description: 'Page number', schema: { type: 'integer' } },
      { name: 'per_page', in: 'query', description: 'Assets per page', schema: { type: 'integer' } },
    ]);
    expect(operation(doc, 'grade').op.requestBody).toEqual({ required: true, content: { 'application/json': { schema: JSON.parse(JSON.stringify(shipped.body)) } } });
    const signin = operation(doc, 'auth-signin').op.requestBody as { content: Record<string, { schema: { required: string[] } }> };
    expect(signin.content['application/json']!.schema.required).toEqual(['username', 'password']);
  });

  it("describes the contract's envelope and error shape, and every proxy operation lists its error statuses", () => {
    const schemas = doc.components.schemas as Record<string, { required: string[]; properties: Record<string, unknown> }>;
    expect(schemas.Success).toMatchObject({ required: ['status', 'data'], properties: { status: { const: 'success' } } });
    expect(schemas.Error).toMatchObject({
      required: ['status', 'message'],
      properties: { status: { const: 'error' }, message: { type: 'string' }, errors: { type: 'array' }, upstream_status: { type: 'integer' } },
    });
    for (const api of apis) {
      const { op } = operation(doc, api.name);
      expect(op.responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Success' } } } });
      const codes = [...ERROR_CODES, ...(api.method === 'GET' ? [] : BODY_ERROR_CODES)];
      const success = api.method === 'POST' ? ['200', '201'] : ['200'];
      expect(Object.keys(op.responses).sort()).toEqual([...success, ...codes, 'default'].sort());
      for (const code of codes) {
        const shared = resolve(doc, (op.responses[code] as { $ref: string }).$ref) as { content: unknown };
        expect(shared.content, `${api.name} ${code}`).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
      }
    }
    expect(resolve(doc, '#/components/responses/MethodNotAllowed')).toMatchObject({ headers: { Allow: expect.any(Object) } });
    expect(resolve(doc, '#/components/responses/TooManyRequests')).toMatchObject({ headers: { 'Retry-After': expect.any(Object) } });
  });

  it("documents the gateway's own endpoints under tag gateway, with their real answers", async () => {
    const gatewayOps = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, OpenApiOperation>)).filter((op) => op.tags.includes('gateway'));
    expect(gatewayOps.map((op) => op.operationId).sort()).toEqual(['getHealth', 'getReady', 'listApis', 'signIn', 'signOut']);
    expect(Object.keys(operationsOf(doc, '/health'))).toEqual(['get']);
    expect(Object.keys(operationsOf(doc, '/api/auth'))).toEqual(['post', 'delete']);

    // The schemas match what the endpoints answer right now.
    const schemas = doc.components.schemas as Record<string, { required: string[] }>;
    const health = (await (await fetch(`${gw.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(health).sort()).toEqual([...schemas.Health!.required].sort());
    const ready = (await (await fetch(`${gw.url}/ready`)).json()) as Record<string, unknown>;
    expect(Object.keys(ready).sort()).toEqual([...schemas.Ready!.required].sort());
    const list = (await (await fetch(`${gw.url}/api/list`)).json()) as Record<string, unknown>;
    expect(Object.keys(list).sort()).toEqual([...schemas.ApiList!.required].sort());

    // /api/auth: the contract's fields, and no example secret but the contract's own.
    expect(schemas.Credentials).toMatchObject({ required: ['username', 'password'], examples: [{ username: 'user@example.com', password: 'secret' }] });
    expect(Object.keys(operation(doc, 'signIn').op.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
  });

  it('has no security scheme when no keys are configured', () => {
    expect(doc.components.securitySchemes).toBeUndefined();
    expect(doc.security).toBeUndefined();
  });

  it('HEAD answers like GET without a body', async () => {
    const res = await rawRequest(gw.url, 'HEAD', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.text).toBe('');
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('%s /openapi.json is 405 with Allow, in the JSON error shape', async (method) => {
    const res = await rawRequest(gw.url, method, '/openapi.json');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json).toEqual({ status: 'error', message: expect.stringContaining('method not allowed') });
  });

  it('is answered by the gateway alone', () => {
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('GET /openapi.json follows a definitions reload', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  let dir: string;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    dir = await makeApisDir();
    // No folder watch: the reload happens when the test asks for it, not before.
    gw = await startGateway(upstream.url, { env: { EVERCYCLE_APIS_DIR: dir, DEFINITIONS_WATCH: 'false' } });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const fetchDoc = async () => (await (await fetch(`${gw.url}/openapi.json`)).json()) as OpenApiDocument;

  it('adds, changes and removes operations as the live set does, and stays valid', async () => {
    const before = await fetchDoc();
    expect(before.paths['/api/sync/{job}']).toBeUndefined();
    expect(operation(before, 'programs-list').op.summary).toBe('List programs');

    await writeFile(path.join(dir, 'sync.json'), JSON.stringify({ method: 'POST', path: '/v1/sync/{job}', description: 'Start a sync', params: { job: 'integer' } }));
    await writeFile(path.join(dir, 'programs-list.json'), JSON.stringify({ method: 'GET', path: '/v1/programs', description: 'Every program' }));
    await unlink(path.join(dir, 'traking-list.json'));
    // Unchanged until the set is replaced: the document is the live set's, not the folder's.
    expect(await fetchDoc()).toEqual(before);

    const result = await gw.gateway.reloadDefinitions('test');
    expect(result).toMatchObject({ ok: true, added: ['sync'], removed: ['traking-list'], changed: ['programs-list'] });

    const after = await fetchDoc();
    const sync = operation(after, 'sync');
    expect(sync).toMatchObject({ path: '/api/sync/{job}', method: 'post' });
    expect(sync.op.parameters).toEqual([{ name: 'job', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }]);
    expect(operation(after, 'programs-list').op.summary).toBe('Every program');
    expect(after.paths['/api/traking-list']).toBeUndefined();
    expect(await problems(after)).toEqual([]);
  });

  it('a refused reload leaves the document as it was', async () => {
    const before = await fetchDoc();
    await writeFile(path.join(dir, 'broken.json'), '{"method": "GET"');
    expect(await gw.gateway.reloadDefinitions('test')).toMatchObject({ ok: false });
    expect(await fetchDoc()).toEqual(before);
    await unlink(path.join(dir, 'broken.json'));
  });
});

describe('GET /openapi.json with API keys configured', () => {
  let upstream: RecordingUpstream;
  let keysDir: string;
  let keys: Record<'read' | 'limited', string>;
  let gw: StartedGateway;
  let publicGw: StartedGateway;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    keysDir = await tempDir('evgw-openapi-keys-');
    const written = await writeKeys(keysDir, { read: { role: 'read' }, limited: { role: 'read', apis: ['get-all'] } });
    keys = written.keys;
    gw = await startGateway(upstream.url, { env: { API_KEYS_FILE: written.file } });
    publicGw = await startGateway(upstream.url, { env: { API_KEYS_FILE: written.file, DOCS_PUBLIC: 'true' } });
  });
  afterAll(async () => {
    await gw?.close();
    await publicGw?.close();
    await upstream?.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('needs a key, of any role (like /api/list)', async () => {
    const none = await fetch(`${gw.url}/openapi.json`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ status: 'error' });
    for (const key of [keys.read, keys.limited]) {
      expect((await fetch(`${gw.url}/openapi.json`, { headers: { 'x-api-key': key } })).status).toBe(200);
    }
  });

  it('describes both key headers, applied to everything but /health and /ready, and stays valid', async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`, { headers: { authorization: `Bearer ${keys.read}` } })).json()) as OpenApiDocument;
    expect(doc.components.securitySchemes).toEqual({
      bearerKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKeyHeader: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(doc.security).toEqual([{ bearerKey: [] }, { apiKeyHeader: [] }]);
    expect(doc.paths['/health']!.get!.security).toEqual([]);
    expect(doc.paths['/ready']!.get!.security).toEqual([]);
    expect(await problems(doc)).toEqual([]);
  });

  it('with DOCS_PUBLIC=true it is served without a key, and still describes the keys the APIs need', async () => {
    const res = await fetch(`${publicGw.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDocument;
    expect(doc.components.securitySchemes).toBeDefined();
    // The APIs themselves still need one.
    expect((await fetch(`${publicGw.url}/api/list`)).status).toBe(401);
  });
});

describe('body schemas written for draft-07 (what the gateway validates with) are published as valid OpenAPI 3.1', () => {
  const def = (name: string, body: Record<string, unknown>): ApiDefinition => parseDefinition(name, { method: 'POST', path: `/v1/${name}`, description: name, body }, `${name}.json`);

  it('local $refs point into the document, shared $ids are dropped, tuple items become prefixItems', async () => {
    const withRef = def('with-ref', {
      $id: 'https://example.test/asset.json',
      type: 'object',
      definitions: { money: { type: 'number', minimum: 0 } },
      properties: { price: { $ref: '#/definitions/money' } },
      required: ['price'],
    });
    const sameId = def('same-id', { $id: 'https://example.test/asset.json', type: 'object' });
    const tuple = def('tuple', { type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], minItems: 2, additionalItems: false } } });
    const doc = buildOpenApi([withRef, sameId, tuple], { version: '1.0.0', apiKeys: false });
    expect(await problems(doc)).toEqual([]);

    const ref = (operation(doc, 'with-ref').op.requestBody as { content: Record<string, { schema: { $ref: string } }> }).content['application/json']!.schema.$ref;
    expect(ref).toBe('#/components/schemas/with-ref.body');
    const published = resolve(doc, ref) as { properties: { price: { $ref: string } }; $id?: string };
    expect(published.$id).toBeUndefined();
    expect(resolve(doc, published.properties.price.$ref)).toEqual({ type: 'number', minimum: 0 });

    const pair = (operation(doc, 'tuple').op.requestBody as { content: Record<string, { schema: { properties: { pair: unknown } } }> }).content['application/json']!.schema.properties.pair;
    expect(pair).toEqual({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], minItems: 2, items: false });
  });

  it('a POST API documents 201 (a creation keeps Evercycle\'s status), a PUT API does not', async () => {
    const doc = buildOpenApi(await loadDefinitions(path.join(REPO_ROOT, 'apis')).then((s) => s.list()), { version: '1.0.0', apiKeys: false });
    expect(Object.keys(operation(doc, 'create').op.responses)).toContain('201');
    expect(Object.keys(operation(doc, 'edit-asset-id').op.responses)).not.toContain('201');
  });
});
