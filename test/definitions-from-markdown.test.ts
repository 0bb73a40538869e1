// Markdown API specifications -> definition files (pure parser): the spec's own "Evercycle
// Backend Endpoints" section with its flattening quirks, proper markdown of the same shape,
// the naming rule, and every kind of line it cannot read reported with its line number.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { definitionsFromMarkdown } from '../src/definitions/from-markdown.js';
import { deriveApiName, slugify } from '../src/definitions/generate.js';
import { loadDefinitions } from '../src/definitions/load.js';
import { parseDefinition } from '../src/definitions/parse.js';
import { REPO_ROOT } from './helpers/stack.js';

const SPEC_SECTION = path.join(REPO_ROOT, 'test', 'fixtures', 'evercycle-backend-endpoints.md');
/** The whole API reference document (the contract), as delivered. */
const WHOLE_SPEC = path.join(REPO_ROOT, 'test', 'fixtures', 'evercycle-api-reference.txt');

/** The definitions by name, and the problems as "line: message". */
function convert(text: string, names?: Record<string, string>) {
  const result = definitionsFromMarkdown(text, names ? { names: new Map(Object.entries(names)) } : {});
  return {
    byName: Object.fromEntries(result.definitions.map((d) => [d.name, d.json])),
    names: result.definitions.map((d) => d.name),
    problems: result.problems.map((p) => `${p.line}: ${p.message}`),
  };
}

const md = (lines: string[]) => lines.join('\n');

describe("the spec's Evercycle Backend Endpoints section (verbatim)", () => {
  it('gives five definitions with every field the section documents, and no problem', async () => {
    const { byName, names, problems } = convert(await readFile(SPEC_SECTION, 'utf8'));
    expect(problems).toEqual([]);
    expect(names).toEqual(['auth-signin', 'asset-create', 'get-asset-id', 'edit-pricebook-id-grade', 'get-asset']);

    // "Headers: Content-Type: application/json" (no tokens) and "Body: *\nusername(string) *password(string)Response: ...".
    expect(byName['auth-signin']).toEqual({
      method: 'POST',
      path: '/v1/auth/signin',
      description: 'Sign in to Evercycle',
      auth: false,
      body: {
        type: 'object',
        properties: { username: { type: 'string' }, password: { type: 'string' } },
        required: ['username', 'password'],
        additionalProperties: true,
      },
    });
    // "Headers: *\nAuthorization(IdToken) *access-token(AccessToken)Body Fields: asset_type_id, year, ...": untyped, none required.
    const create = byName['asset-create']!;
    expect(create).toMatchObject({ method: 'POST', path: '/v1/asset/create', description: 'Create a new Asset for the organization' });
    expect(create.auth).toBeUndefined();
    const createBody = create.body as { properties: Record<string, unknown>; required?: unknown; additionalProperties: unknown };
    expect(Object.keys(createBody.properties)).toHaveLength(27);
    expect(Object.keys(createBody.properties).slice(0, 3)).toEqual(['asset_type_id', 'year', 'make']);
    expect(createBody.properties.end_of_life_date).toEqual({});
    expect(createBody.required).toBeUndefined();
    expect(createBody.additionalProperties).toBe(true);

    // "Path Parameters: id (number)", with a URL: line agreeing with the path.
    expect(byName['get-asset-id']).toEqual({ method: 'GET', path: '/v1/asset/{id}', description: 'Get the Asset information for a given ID', params: { id: 'integer' } });
    expect(byName['edit-pricebook-id-grade']).toEqual({
      method: 'PUT',
      path: '/v1/pricebook/{id}/{grade}',
      description: 'Edit an Asset for the given pricebook_catalog_id and grade_name',
      params: { id: 'integer', grade: 'string' },
      body: { type: 'object', properties: { price: { type: 'number' } }, additionalProperties: true },
    });
    // "Query Parameters: page_num, per_page": documented, untyped.
    expect(byName['get-asset']).toEqual({
      method: 'GET',
      path: '/v1/asset',
      description: 'Get all Assets',
      query: { page_num: { type: 'string' }, per_page: { type: 'string' } },
    });
  });

  it("named as in the spec's proxy table, it agrees with the shipped definitions on method, path, parameter types, auth and required fields", async () => {
    const tableNames = {
      'POST /v1/auth/signin': 'auth-signin',
      'POST /v1/asset/create': 'create',
      'GET /v1/asset/{id}': 'get-asset-id',
      'PUT /v1/pricebook/{id}/{grade}': 'grade',
      'GET /v1/asset': 'get-all',
    };
    const generated = definitionsFromMarkdown(await readFile(SPEC_SECTION, 'utf8'), { names: new Map(Object.entries(tableNames)) });
    const shipped = await loadDefinitions(path.join(REPO_ROOT, 'apis'));
    expect(generated.definitions.map((d) => d.name)).toEqual(Object.values(tableNames));
    for (const { name, json } of generated.definitions) {
      const ours = parseDefinition(name, json);
      const theirs = shipped.get(name)!;
      expect({ method: ours.method, path: ours.path, params: ours.params, auth: ours.auth }, name).toEqual({ method: theirs.method, path: theirs.path, params: theirs.params, auth: theirs.auth });
      expect(Object.keys(ours.query), name).toEqual(Object.keys(theirs.query));
      // The section marks no pricebook field required; the shipped grade definition requires price.
      expect(ours.body?.required, name).toEqual(name === 'grade' ? undefined : theirs.body?.required);
      if (theirs.body) expect(Object.keys(ours.body!.properties as object), name).toEqual(Object.keys(theirs.body.properties as object));
    }
  });

  // The spec document lives outside the repository (the fixture is its section): only where it is at hand.
  it('the whole spec document gives the same five: the flattened proxy table is not mistaken for endpoints', async () => {
    const { names, problems } = convert(await readFile(WHOLE_SPEC, 'utf8'));
    expect(problems).toEqual([]);
    expect(names).toEqual(['auth-signin', 'asset-create', 'get-asset-id', 'edit-pricebook-id-grade', 'get-asset']);
  });
});

describe('quirks of the flattened text, one at a time', () => {
  it('a label glued to the text before it starts a new field', () => {
    const { byName, problems } = convert(md(['POST /v1/a', 'Description: A', 'Headers: Authorization', 'Body: x(integer) y(string)Response: the thing', 'with more words']));
    expect(problems).toEqual([]);
    expect(byName['a']!.body).toEqual({ type: 'object', properties: { x: { type: 'integer' }, y: { type: 'string' } }, additionalProperties: true });
  });

  it('a lone * at the end of a line marks the first item of the next line as required', () => {
    const { byName } = convert(md(['POST /v1/a', 'Description: A', 'Body: *', 'first(string) second(string) *third(string)']));
    expect(byName['a']!.body).toMatchObject({ required: ['first', 'third'] });
  });

  it('Headers without Authorization or access-token make the API public; with either it keeps the tokens', () => {
    const { byName } = convert(
      md(['POST /v1/open', 'Description: Open', 'Headers: Content-Type: application/json', '', 'GET /v1/closed', 'Description: Closed', 'Headers: access-token']),
    );
    expect(byName['open']!.auth).toBe(false);
    expect(byName['get-closed']!.auth).toBeUndefined();
  });

  it('without a Headers field nothing is said about auth: the default (tokens) applies', () => {
    expect(convert(md(['GET /v1/a', 'Description: A'])).byName['get-a']).toEqual({ method: 'GET', path: '/v1/a', description: 'A' });
  });
});

describe('proper markdown of the same shape', () => {
  const doc = md([
    '# Evercycle API',
    '',
    'An introduction that mentions /v1/asset in passing.',
    '',
    '## Assets',
    '',
    '### GET /v1/asset/{id}',
    '',
    'Get the Asset with the given id.',
    '',
    '- **Method:** GET',
    '- **Headers:** `Authorization`, `access-token`',
    '- **Path Parameters:**',
    '  - `id` (integer) – the asset id',
    '- **Response:** the asset',
    '',
    '```sh',
    'curl https://api.evercycle.io/v1/asset/42',
    '/v1/inside-a-code-block',
    'Method: DELETE',
    '```',
    '',
    '### `PUT /v1/pricebook/{id}/{grade}` (grade)',
    '',
    '**Description:** Update a pricebook grade',
    '',
    '**Path Parameters:**',
    '',
    '| Name | Type | Description |',
    '|------|------|-------------|',
    '| id | number | Pricebook catalog id |',
    '| grade | string | Grade name, A to D |',
    '',
    '**Body Fields**:',
    '',
    '| Field | Type | Required | Description |',
    '|---|---|---|---|',
    '| `price` | number | yes | New price |',
    '| currency | string | no | ISO code |',
    '',
    '### create-request: POST /v1/asset/request',
    '',
    'Description: Create an Asset request',
    'Body Fields:',
    '- asset_ids (array, required): the assets',
    '- request_type (string, required) - pickup, recycle or resale',
    '- notes (string, nullable)',
    '- description: free text',
    '- Response: the request',
    '',
    '## List programs',
    '',
    '- Method: GET',
    '- URL: https://api.evercycle.io/v1/programs?page_num=1',
    '- Query Parameters: page_num (integer), per_page (integer, required)',
    '',
    '## by-org',
    '',
    '* Method: `GET`',
    '* Path: /v1/asset/org/{org_id}',
    '* Description: Get assets by organization',
    '* Path Parameters: org_id (number)',
  ]);

  it('reads headings, bold and bulleted labels, nested bullets, tables, and skips code blocks and sections', () => {
    const { byName, names, problems } = convert(doc);
    expect(problems).toEqual([]);
    expect(names).toEqual(['get-asset-id', 'grade', 'create-request', 'get-programs', 'by-org']);
    // The paragraph after the heading is the description when there is no Description field.
    expect(byName['get-asset-id']).toEqual({ method: 'GET', path: '/v1/asset/{id}', description: 'Get the Asset with the given id.', params: { id: 'integer' } });
    expect(byName['grade']).toEqual({
      method: 'PUT',
      path: '/v1/pricebook/{id}/{grade}',
      description: 'Update a pricebook grade',
      params: { id: 'integer', grade: 'string' },
      body: {
        type: 'object',
        properties: { price: { type: 'number', description: 'New price' }, currency: { type: 'string', description: 'ISO code' } },
        required: ['price'],
        additionalProperties: true,
      },
    });
    expect(byName['create-request']!.body).toEqual({
      type: 'object',
      properties: {
        asset_ids: { type: 'array', description: 'the assets' },
        request_type: { type: 'string', description: 'pickup, recycle or resale' },
        notes: { type: ['string', 'null'] },
        description: { description: 'free text' },
      },
      required: ['asset_ids', 'request_type'],
      additionalProperties: true,
    });
    // A titled section with a URL: the title describes it; the URL's query string is not the path.
    expect(byName['get-programs']).toEqual({
      method: 'GET',
      path: '/v1/programs',
      description: 'List programs',
      query: { page_num: { type: 'integer' }, per_page: { type: 'integer', required: true } },
    });
    // A heading that is an API name names the endpoint.
    expect(byName['by-org']).toEqual({ method: 'GET', path: '/v1/asset/org/{org_id}', description: 'Get assets by organization', params: { org_id: 'integer' } });
  });

  it('a heading may be a label: `#### Path Parameters` followed by a table', () => {
    const { byName, problems } = convert(md(['### GET /v1/a/{id}', 'Description: A', '', '#### Path Parameters', '', '| Parameter | Type |', '| --- | --- |', '| id | integer |']));
    expect(problems).toEqual([]);
    expect(byName['get-a-id']!.params).toEqual({ id: 'integer' });
  });

  it('every definition it gives loads as the gateway loads it', () => {
    for (const { name, json } of definitionsFromMarkdown(doc).definitions) expect(() => parseDefinition(name, json), name).not.toThrow();
  });

  it('the API Name field names an endpoint; --name-map entries win over every other name', () => {
    const text = md(['### GET /v1/a (from-heading)', 'Description: A', '', '### GET /v1/b', 'Description: B', 'API Name: from-field', '', '### get-c: GET /v1/c', 'Description: C']);
    expect(convert(text).names).toEqual(['from-heading', 'from-field', 'get-c']);
    expect(convert(text, { 'GET /v1/a': 'mapped-a', 'GET /v1/b': 'mapped-b' }).names).toEqual(['mapped-a', 'mapped-b', 'get-c']);
  });
});

describe('what it cannot read is reported with its line, and never becomes an invalid definition', () => {
  const bad = md([
    '/v1/asset/{id}', // 1
    'Description: No method here',
    '',
    'FETCH /v1/nope', // 4: not a method the plain-line form knows: not an endpoint line at all
    '/v1/asset/{id}', // 5
    'Method: FETCH',
    'Description: Bad method',
    '',
    'GET /v1/things/{id}', // 9
    'Description: Things',
    'Path Parameters: idd (number), id (float)',
    'Query Parameters: q (uuid), x (complex)',
    'Body Fields: a (string)',
    '',
    'POST /v1/auth', // 15
    'Description: Reserved name',
    'Body Fields: user (widget), pass!word, ok',
    '',
    'PUT /v1/x/{id}', // 19
    'URL: https://api.evercycle.io/v1/y/{id}',
    'Method: POST',
    'Description: Method and URL disagree',
    '',
    'GET /v1/dup', // 24
    'Description: one',
    'API Name: same',
    '',
    'GET /v1/dup2', // 28
    'Description: two',
    'API Name: same',
    'Description: again',
    '',
    'GET /v1/{a}{b}', // 33
    'Description: two placeholders in one segment',
  ]);

  it('lists every problem, skipping only the endpoints that cannot make a valid definition', () => {
    const { names, byName, problems } = convert(bad);
    expect(problems).toEqual([
      '1: /v1/asset/{id}: skipped: no Method (add a `Method: GET` line, or put the method in the heading)',
      '5: FETCH /v1/asset/{id}: skipped: method "FETCH" is not one of GET, POST, PUT, PATCH, DELETE',
      '11: GET /v1/things/{id}: Path Parameters: idd is not a placeholder of the path',
      '11: GET /v1/things/{id}: Path Parameters: id: type "float" is neither a number nor a string; "string" is used',
      '12: GET /v1/things/{id}: Query Parameters: x: unknown type "complex"; "string" is used',
      '13: GET /v1/things/{id}: Body Fields of a GET endpoint are ignored (the gateway sends no body with a GET)',
      `15: POST /v1/auth: skipped: file name: API name "auth" is reserved: the gateway's own route /api/auth would shadow it`,
      '17: POST /v1/auth: Body Fields: cannot read "!word, ok"',
      '17: POST /v1/auth: Body Fields: user: unknown type "widget"; any value is accepted',
      '19: POST /v1/x/{id}: the method is given as POST and PUT; POST is used',
      "20: POST /v1/x/{id}: URL path /v1/y/{id} differs from the heading's; the heading's is used",
      '28: GET /v1/dup2: skipped: name "same" is already used by line 24',
      '31: GET /v1/dup2: Description given again (first at line 29); the first is used',
      expect.stringMatching(/^33: GET \/v1\/\{a\}\{b\}: skipped: path: /),
    ]);
    expect(names).toEqual(['get-things-id', 'x-id', 'same']);
    expect(byName['get-things-id']).toEqual({ method: 'GET', path: '/v1/things/{id}', description: 'Things', params: { id: 'string' }, query: { q: { type: 'string' }, x: { type: 'string' } } });
  });

  it('a list field with nothing readable, or an item listed twice, is reported', () => {
    const { byName, problems } = convert(
      md(['POST /v1/a', 'Description: A', 'Body Fields:', '```json', '{"x": 1}', '```', '', 'PUT /v1/b/{id}', 'Description: B', 'Path Parameters: id (number), id (string)']),
    );
    expect(problems).toEqual([
      '3: POST /v1/a: Body Fields: nothing listed (code blocks are examples and are not read)',
      '10: PUT /v1/b/{id}: Path Parameters: id is listed twice; the first is used',
    ]);
    expect(byName['a']!.body).toBeUndefined();
    expect(byName['edit-b-id']!.params).toEqual({ id: 'integer' });
  });

  it('text without any endpoint is one problem', () => {
    expect(convert('# Notes\n\nNothing here.\n').problems).toEqual(['1: no endpoint found (an endpoint starts at a line such as `/v1/asset/{id}` or `### GET /v1/asset/{id}`)']);
  });

  it('a section with a Method but no path is reported; a section with neither is just a section', () => {
    const { problems, names } = convert(md(['## Intro', 'Description: words', '', '## Broken', 'Method: GET', '', '### GET /v1/ok', 'Description: ok']));
    expect(names).toEqual(['get-ok']);
    expect(problems).toEqual(['4: "Broken": skipped: no path (give it a heading such as `GET /v1/asset/{id}` or a URL: field)']);
  });

  it('reads a title before the method and a full URL in a heading (review #1)', () => {
    const { byName, names, problems } = convert(
      md([
        '# Evercycle Backend Endpoints',
        '',
        '## GET /v1/programs',
        'Description: List programs',
        'Headers: Authorization, access-token',
        '',
        '## Get Asset By Id: GET /v1/asset/{id}',
        'Headers: Authorization, access-token',
        'Path Parameters: id (number)',
        '',
        '## PUT https://api.evercycle.io/v1/pricebook/{id}/{grade}',
        'Description: Edit the price',
        'Headers: Authorization, access-token',
        'Path Parameters: id (number), grade (string)',
        'Body Fields: *price (number)',
        '',
        '## POST /v1/asset/confirm',
        'Description: Confirm',
        'Body Fields: *asset_id (integer)',
      ]),
    );
    expect(problems).toEqual([]);
    expect(names).toEqual(['get-programs', 'get-asset-id', 'edit-pricebook-id-grade', 'asset-confirm']);
    // The title is no name (it is not a-z0-9_-): the description, the name derived.
    expect(byName['get-asset-id']).toEqual({ method: 'GET', path: '/v1/asset/{id}', description: 'Get Asset By Id', params: { id: 'integer' } });
    expect(byName['edit-pricebook-id-grade']).toMatchObject({ method: 'PUT', path: '/v1/pricebook/{id}/{grade}', params: { id: 'integer', grade: 'string' } });
    // A one-word name before the method still names the API.
    expect(convert(md(['## get-it: GET /v1/x', 'Description: x'])).names).toEqual(['get-it']);
  });

  it('a heading that reads like an endpoint but cannot be read is reported, never dropped (review #1)', () => {
    const { names, problems } = convert(
      md([
        '## GET /v1/ok',
        'Description: ok',
        '',
        '## ../../evil: GET /v1/evil',
        'Description: evil',
        '',
        '## GET /v1/asset/{id} (..%2f..%2fx)',
        'Description: bad name',
        '',
        '## Some Section',
        'Headers: Authorization, access-token',
        '',
        '## Intro',
        'Just prose.',
      ]),
    );
    expect(names).toEqual(['get-ok']);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^4: "\.\.\/\.\.\/evil: GET \/v1\/evil": skipped: cannot read the heading as an endpoint/);
    expect(problems[1]).toMatch(/^7: "GET \/v1\/asset\/\{id\} \(\.\.%2f\.\.%2fx\)": skipped: cannot read the heading/);
    expect(problems[2]).toMatch(/^10: "Some Section": skipped: cannot read the heading as an endpoint/);
  });

  it('a type after the last item of an inline list, none on the others, types them all', () => {
    const { byName } = convert(md(['GET /v1/a', 'Description: a', 'Query Parameters: page_num, per_page (integer)']));
    expect(byName['get-a']!.query).toEqual({ page_num: { type: 'integer' }, per_page: { type: 'integer' } });
    // When other items carry their own types, each keeps its own (and untyped ones stay untyped).
    const mixed = convert(md(['GET /v1/b', 'Description: b', 'Query Parameters: a (boolean), b, c (integer, required)']));
    expect(mixed.byName['get-b']!.query).toEqual({ a: { type: 'boolean' }, b: { type: 'string' }, c: { type: 'integer', required: true } });
    // The type is shared; a `required` after the last item is the last one's only.
    const req = convert(md(['GET /v1/c', 'Description: c', 'Query Parameters: x, y (integer, required)']));
    expect(req.byName['get-c']!.query).toEqual({ x: { type: 'integer' }, y: { type: 'integer', required: true } });
  });

  it('a missing description is reported and replaced by method and path', () => {
    const { byName, problems } = convert(md(['GET /v1/a', 'Method: GET']));
    expect(byName['get-a']!.description).toBe('GET /v1/a');
    expect(problems).toEqual(['1: GET /v1/a: no Description; "GET /v1/a" is used']);
  });
});

describe('any text', () => {
  /** Lines of the shapes the parser looks for, mixed with noise. */
  const FRAGMENTS = [
    '/v1/asset/{id}', 'GET /v1/asset', '### PUT /v1/x/{id} (x)', '## Title', '## auth', '#### Body', 'Method: POST', 'Method: GET', '- **Method:** DELETE',
    'Description: d', 'Headers: Content-Type: application/json', 'Headers: *', 'Authorization(IdToken) *access-token(AccessToken)Body Fields: a, b',
    'Body: *', 'username(string) *password(string)Response: r', 'Path Parameters: id (number), grade (string)', 'Query Parameters: page_num, per_page',
    'URL: https://h/v1/y/{id}', 'API Name: list', '- `price` (number, required) - p', '| Name | Type |', '|---|---|', '| id | integer |', '```', '', '  - nested (string)',
    '*', '(', '|', '{', 'GET /v1/{a}{b}', 'POST /v1/auth',
  ];
  const line = fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 30 }));

  it('never throws, reports with real line numbers, and gives only definitions the gateway loads under distinct names', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const result = definitionsFromMarkdown(lines.join('\n'));
        for (const p of result.problems) expect(p.line >= 1 && p.line <= Math.max(1, lines.length)).toBe(true);
        for (const { name, json } of result.definitions) expect(() => parseDefinition(name, json)).not.toThrow();
        expect(new Set(result.definitions.map((d) => d.name)).size).toBe(result.definitions.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('naming rule', () => {
  it.each([
    ['GET', '/v1/asset/{id}', 'get-asset-id'],
    ['PUT', '/v1/asset/{id}', 'edit-asset-id'],
    ['PUT', '/v1/pricebook/{id}/{grade}', 'edit-pricebook-id-grade'],
    ['PATCH', '/v1/asset/{id}', 'update-asset-id'],
    ['DELETE', '/v1/asset/{id}', 'delete-asset-id'],
    ['POST', '/v1/auth/signin', 'auth-signin'],
    ['POST', '/v1/asset/create', 'asset-create'],
    ['GET', '/v1/asset/org/{org_id}', 'get-asset-org-org_id'],
    ['GET', '/assets/By.Name', 'get-assets-by-name'],
    ['POST', '/v2', 'post'],
  ] as const)('%s %s -> %s', (method, p, name) => {
    expect(deriveApiName(method, p)).toBe(name);
  });

  it('slugifies operationIds and titles', () => {
    expect(slugify('getAssetById')).toBe('get-asset-by-id');
    expect(slugify('HTTPServerStatus')).toBe('http-server-status');
    expect(slugify('  List  all Programs! ')).toBe('list-all-programs');
  });
});
