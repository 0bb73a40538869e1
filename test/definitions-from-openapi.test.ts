// OpenAPI 3 documents -> definition files: the gateway's own /openapi.json gives back the
// definitions it was built from (in-process and through a running gateway and the real
// command), and a foreign OpenAPI 3.0/3.1 document maps operation by operation, with every
// part it cannot map reported.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionsFromOpenApi, OpenApiInputError } from '../src/definitions/from-openapi.js';
import { loadDefinitions } from '../src/definitions/load.js';
import { parseDefinition } from '../src/definitions/parse.js';
import type { ApiDefinition } from '../src/definitions/types.js';
import { buildOpenApi } from '../src/docs/openapi.js';
import { runCli } from './helpers/cli.js';
import { startRecordingUpstream, type RecordingUpstream } from './helpers/recording-upstream.js';
import { REPO_ROOT, startGateway, tempDir, type StartedGateway } from './helpers/stack.js';

const APIS_DIR = path.join(REPO_ROOT, 'apis');

/** A definition as plain data (the compiled template as its source), for deep comparison. */
const plain = (d: ApiDefinition) => ({ ...d, template: d.template.source });

/** The definitions a document gives, loaded as the gateway loads them. */
function restored(doc: unknown): ApiDefinition[] {
  const result = definitionsFromOpenApi(doc);
  expect(result.problems).toEqual([]);
  return result.definitions.map((d) => parseDefinition(d.name, d.json));
}

describe("the gateway's own document", () => {
  it('gives back the shipped definitions exactly, and passes over the gateway endpoints', async () => {
    const shipped = (await loadDefinitions(APIS_DIR)).list();
    for (const apiKeys of [false, true]) {
      const doc = JSON.parse(JSON.stringify(buildOpenApi(shipped, { version: '1', apiKeys })));
      expect(restored(doc).map(plain)).toEqual(shipped.map(plain));
      expect(definitionsFromOpenApi(doc).ignored).toEqual(['GET /health', 'GET /ready', 'GET /api/list', 'POST /api/auth', 'DELETE /api/auth']);
    }
  });

  it('restores what the shipped ones do not use: required query parameters, untyped placeholders, PATCH bodies, public APIs', () => {
    const originals = [
      parseDefinition('search', {
        method: 'GET',
        path: '/v1/search',
        description: 'Search',
        query: { q: { type: 'string', description: 'Words', required: true }, limit: { type: 'integer' }, exact: { type: 'boolean' } },
      }),
      parseDefinition('by-code', { method: 'GET', path: '/v1/code/{code}', description: 'By code' }),
      parseDefinition('patch-thing', {
        method: 'PATCH',
        path: '/v1/thing/{id}/{part}',
        description: 'Patch a thing',
        params: { id: 'integer', part: 'string' },
        body: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } }, meta: { type: 'object', additionalProperties: false } }, required: ['tags'] },
      }),
      parseDefinition('ping', { method: 'POST', path: '/v1/ping', description: 'Ping', auth: false }),
      parseDefinition('remove', { method: 'DELETE', path: '/v1/thing/{id}', description: 'Remove', params: { id: 'integer' } }),
    ];
    const doc = JSON.parse(JSON.stringify(buildOpenApi(originals, { version: '1', apiKeys: false })));
    const back = restored(doc);
    expect(back.map(plain)).toEqual(originals.map(plain));
    // The placeholder schema the document shows for an undocumented POST body is not taken for one.
    expect(back.find((d) => d.name === 'ping')!.body).toBeUndefined();
  });

  it('reports an operation whose extension is malformed', () => {
    const doc = JSON.parse(JSON.stringify(buildOpenApi([parseDefinition('a', { method: 'GET', path: '/v1/a', description: 'A' })], { version: '1', apiKeys: false })));
    doc.paths['/api/a'].get['x-evercycle-upstream'] = { method: 'FETCH', path: '/v1/a' };
    expect(definitionsFromOpenApi(doc).problems).toEqual([{ operation: 'GET /api/a', message: 'skipped: x-evercycle-upstream.method "FETCH" is not one of GET, POST, PUT, PATCH, DELETE' }]);
  });
});

describe('GET /openapi.json of a running gateway, through `definitions from-openapi -`', () => {
  let upstream: RecordingUpstream;
  let gw: StartedGateway;
  let out: string;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startGateway(upstream.url);
    out = await tempDir('evgw-from-openapi-');
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await rm(out, { recursive: true, force: true });
  });

  it('writes files that load as the shipped definitions', async () => {
    const text = await (await fetch(`${gw.url}/openapi.json`)).text();
    const dir = path.join(out, 'apis');
    const run = await runCli(['definitions', 'from-openapi', '-', '--out', dir], { input: text });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("note: the gateway's own endpoints are not APIs and were passed over: GET /health, GET /ready, GET /api/list, POST /api/auth, DELETE /api/auth\n");
    const shipped = (await loadDefinitions(APIS_DIR)).list();
    expect(run.stdout.trim().split('\n')).toEqual(shipped.map((d) => `wrote ${path.join(dir, `${d.name}.json`)} (${d.method} ${d.path})`));
    expect((await readdir(dir)).sort()).toEqual(shipped.map((d) => `${d.name}.json`).sort());
    expect((await loadDefinitions(dir)).list().map(plain)).toEqual(shipped.map(plain));
  });
});

describe('a foreign OpenAPI 3.0 document', () => {
  const doc = {
    openapi: '3.0.3',
    info: { title: 'Assets', version: '1' },
    servers: [{ url: 'https://{host}/v1/', variables: { host: { default: 'api.evercycle.io' } } }],
    security: [{ bearer: [] }],
    paths: {
      '/asset/{id}': {
        parameters: [{ $ref: '#/components/parameters/AssetId' }],
        get: { operationId: 'getAssetById', summary: 'Get an asset', parameters: [{ name: 'X-Trace', in: 'header', schema: { type: 'string' } }] },
        put: { operationId: 'updateAsset', description: 'Edit an asset.\nMore words.', requestBody: { $ref: '#/components/requestBodies/AssetEdit' } },
        head: { operationId: 'headAsset' },
      },
      '/auth/signin': {
        post: {
          operationId: 'signIn',
          summary: 'Sign in',
          security: [],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Credentials' } } } },
        },
      },
      '/asset': {
        get: {
          summary: 'List assets',
          parameters: [
            { name: 'page_num', in: 'query', description: 'Page', schema: { type: 'integer' } },
            { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
            { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
          ],
        },
      },
      '/asset/{id}/photo': {
        post: {
          operationId: 'uploadPhoto',
          summary: 'Upload a photo',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
          requestBody: { content: { 'multipart/form-data': { schema: { type: 'object' } } } },
        },
      },
      '/tree': { post: { operationId: 'postTree', summary: 'Post a tree', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } },
      '/other': { post: { operationId: 'SignIn', summary: 'Clashes with signIn once slugified' } },
    },
    components: {
      parameters: { AssetId: { name: 'id', in: 'path', required: true, schema: { type: 'integer', format: 'int64' } } },
      requestBodies: {
        AssetEdit: {
          content: {
            'application/vnd.evercycle+json': {
              schema: {
                type: 'object',
                discriminator: { propertyName: 'make' },
                properties: {
                  make: { type: 'string', nullable: true, example: 'Apple' },
                  purchase_date: { type: 'string', format: 'date' },
                  price: { type: 'number', minimum: 0, exclusiveMinimum: true },
                  format: { type: 'string', 'x-internal': true },
                },
              },
            },
          },
        },
      },
      schemas: {
        Credentials: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string', format: 'password' } } },
        Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } },
      },
    },
  };

  const result = definitionsFromOpenApi(doc);
  const byName = Object.fromEntries(result.definitions.map((d) => [d.name, d.json]));

  it('maps each operation: operationId as a slug (else method and path), server path + path, summary, path parameter types', () => {
    expect(result.definitions.map((d) => d.name)).toEqual(['get-asset-by-id', 'update-asset', 'sign-in', 'get-asset', 'post-tree']);
    expect(byName['get-asset-by-id']).toEqual({ method: 'GET', path: '/v1/asset/{id}', description: 'Get an asset', params: { id: 'integer' } });
    expect(byName['get-asset']).toEqual({
      method: 'GET',
      path: '/v1/asset',
      description: 'List assets',
      query: { page_num: { type: 'integer', description: 'Page' }, tags: { type: 'string' }, q: { type: 'string', required: true } },
    });
  });

  it('inlines $refs and rewrites OpenAPI-only schema keywords into JSON Schema the gateway compiles', () => {
    expect(byName['update-asset']).toEqual({
      method: 'PUT',
      path: '/v1/asset/{id}',
      description: 'Edit an asset.',
      params: { id: 'integer' },
      body: {
        type: 'object',
        properties: {
          make: { type: ['string', 'null'], examples: ['Apple'] },
          purchase_date: { type: 'string' },
          price: { type: 'number', exclusiveMinimum: 0 },
          format: { type: 'string' },
        },
      },
    });
    expect(byName['sign-in']).toEqual({
      method: 'POST',
      path: '/v1/auth/signin',
      description: 'Sign in',
      auth: false,
      body: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string' } } },
    });
    for (const d of result.definitions) expect(() => parseDefinition(d.name, d.json), d.name).not.toThrow();
  });

  it('reports what it cannot map, and why', () => {
    expect(result.problems).toEqual([
      { operation: 'GET /asset/{id}', message: 'header parameter X-Trace is not converted: the gateway sends no header or cookie of the client upstream' },
      { operation: 'HEAD /asset/{id}', message: 'skipped: the gateway proxies GET, POST, PUT, PATCH, DELETE only' },
      { operation: 'GET /asset', message: 'query parameter tags: type array is documented as string' },
      { operation: 'POST /asset/{id}/photo', message: 'skipped: the request body is multipart/form-data; the gateway forwards JSON bodies only' },
      { operation: 'POST /tree', message: 'the request body schema is not converted (it is recursive through #/components/schemas/Node); written without one' },
      { operation: 'POST /other', message: 'skipped: name "sign-in" is already used by POST /auth/signin' },
    ]);
    expect(byName['post-tree']).toEqual({ method: 'POST', path: '/v1/tree', description: 'Post a tree' });
    expect(result.ignored).toEqual([]);
  });
});

describe('a foreign OpenAPI 3.1 document', () => {
  it('takes the non-null type of a type list, and a description when there is no summary', () => {
    const result = definitionsFromOpenApi({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/v2/org/{org_id}/assets': {
          get: {
            description: '\n  Assets of an organization  \n\nLong text.',
            parameters: [
              { name: 'org_id', in: 'path', required: true, schema: { type: ['integer', 'null'] } },
              { name: 'since', in: 'query', schema: { type: 'string', format: 'date' } },
            ],
          },
        },
      },
    });
    expect(result.problems).toEqual([]);
    expect(result.definitions).toEqual([
      {
        name: 'get-org-org_id-assets',
        json: { method: 'GET', path: '/v2/org/{org_id}/assets', description: 'Assets of an organization', params: { org_id: 'integer' }, query: { since: { type: 'string' } } },
        source: 'GET /v2/org/{org_id}/assets',
      },
    ]);
  });

  it('an operation path the gateway cannot template is skipped with the reason', () => {
    const result = definitionsFromOpenApi({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/files/{name}.json': { get: { operationId: 'getFile', summary: 'A file' } } } });
    expect(result.definitions).toEqual([]);
    expect(result.problems).toEqual([{ operation: 'GET /files/{name}.json', message: expect.stringMatching(/^skipped: path: /) }]);
  });
});

describe('input that is not an OpenAPI 3 document', () => {
  it.each([
    ['an array', [], 'not an OpenAPI document: expected a JSON object'],
    ['Swagger 2.0', { swagger: '2.0', paths: {} }, 'not an OpenAPI 3.0 or 3.1 document (Swagger 2.0)'],
    ['no version', { paths: {} }, 'not an OpenAPI 3.0 or 3.1 document (no "openapi" version field)'],
    ['no paths', { openapi: '3.0.0', info: {} }, 'the document has no "paths" object'],
  ])('%s is refused as a whole', (_, doc, message) => {
    expect(() => definitionsFromOpenApi(doc)).toThrow(new OpenApiInputError(message));
  });
});
