import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBodySchemaAjv } from '../src/definitions/body-schema.js';
import { loadDefinitions } from '../src/definitions/load.js';
import { resolveUpstreamPath } from '../src/definitions/params.js';
import type { ApiDefinition, DefinitionSet } from '../src/definitions/types.js';

const APIS_DIR = fileURLToPath(new URL('../apis', import.meta.url));

/** The "Supported APIs" table of the contract, verbatim (including the spelling `traking-list`). */
const SPEC_TABLE = [
  ['auth-signin', 'POST', '/v1/auth/signin', 'Authenticate user'],
  ['get-all', 'GET', '/v1/asset', 'Get all Assets'],
  ['get-asset-id', 'GET', '/v1/asset/{id}', 'Get Asset by ID'],
  ['create', 'POST', '/v1/asset/create', 'Create a new Asset'],
  ['create-request', 'POST', '/v1/asset/request', 'Create an Asset request'],
  ['edit-asset-id', 'PUT', '/v1/asset/{id}', 'Edit an Asset'],
  ['grade', 'PUT', '/v1/pricebook/{id}/{grade}', 'Update pricebook grade'],
  ['single-confirm', 'POST', '/v1/asset/confirm', 'Confirm single asset'],
  ['by-org', 'GET', '/v1/asset/org/{org_id}', 'Get assets by organization'],
  ['programs-list', 'GET', '/v1/programs', 'List programs'],
  ['traking-list', 'GET', '/v1/tracking', 'List tracking items'],
] as const;

const CREATE_FIELDS = [
  'asset_type_id', 'year', 'make', 'model', 'serial_number', 'asset_damage_type_id', 'damage_description', 'carrier',
  'cpu', 'ram', 'screen', 'purchase_date', 'asset_reference', 'asset_user_first_name', 'asset_user_last_name',
  'asset_user_address', 'asset_user_city', 'asset_user_state', 'asset_user_postal_code', 'asset_user_country',
  'request_id', 'archived', 'device_master_list_id', 'service_provider_org_id', 'asset_user_email', 'asset_user_phone',
  'end_of_life_date',
];

let set: DefinitionSet;
beforeAll(async () => {
  set = await loadDefinitions(APIS_DIR);
});

function def(name: string): ApiDefinition {
  const d = set.get(name);
  if (!d) throw new Error(`${name} is not shipped`);
  return d;
}

describe('shipped apis/ folder', () => {
  it('holds only .json files, one per API', async () => {
    const files = (await readdir(APIS_DIR)).sort();
    expect(files).toEqual(SPEC_TABLE.map(([name]) => `${name}.json`).sort());
  });

  it('loads exactly the 11 APIs of the contract, sorted by name', () => {
    expect(set.list().map((d) => d.name)).toEqual([
      'auth-signin', 'by-org', 'create', 'create-request', 'edit-asset-id', 'get-all', 'get-asset-id', 'grade',
      'programs-list', 'single-confirm', 'traking-list',
    ]);
  });

  it.each(SPEC_TABLE)('%s is %s %s, "%s"', (name, method, path, description) => {
    const d = def(name);
    expect({ method: d.method, path: d.path, description: d.description }).toEqual({ method, path, description });
  });

  it('only auth-signin goes without tokens', () => {
    expect(set.list().filter((d) => !d.auth).map((d) => d.name)).toEqual(['auth-signin']);
  });

  it('types the path parameters', () => {
    expect(def('get-asset-id').params).toEqual({ id: 'integer' });
    expect(def('edit-asset-id').params).toEqual({ id: 'integer' });
    expect(def('grade').params).toEqual({ id: 'integer', grade: 'string' });
    expect(def('by-org').params).toEqual({ org_id: 'integer' });
    for (const name of ['auth-signin', 'get-all', 'create', 'create-request', 'single-confirm', 'programs-list', 'traking-list']) {
      expect(def(name).params).toEqual({});
    }
  });

  it('documents page_num and per_page for the paged lists', () => {
    for (const name of ['get-all', 'by-org']) {
      expect(Object.keys(def(name).query)).toEqual(['page_num', 'per_page']);
      expect(def(name).query.page_num?.type).toBe('integer');
      expect(def(name).query.per_page?.type).toBe('integer');
    }
  });

  it('sets no timeout override', () => {
    expect(set.list().filter((d) => Object.keys(d.timeouts).length > 0 || Object.keys(d.retry).length > 0)).toEqual([]);
  });

  it('resolves the documented path parameters', () => {
    expect(resolveUpstreamPath(def('get-asset-id'), { segments: ['5'], rawQuery: '', body: undefined })).toEqual({ ok: true, path: '/v1/asset/5', forwardQuery: '' });
    expect(resolveUpstreamPath(def('grade'), { segments: ['7', 'A%2FB'], rawQuery: '', body: { price: 1 } })).toEqual({
      ok: true,
      path: '/v1/pricebook/7/A%2FB',
      forwardQuery: '',
    });
    expect(resolveUpstreamPath(def('by-org'), { segments: [], rawQuery: 'org_id=3&page_num=2', body: undefined })).toEqual({
      ok: true,
      path: '/v1/asset/org/3',
      forwardQuery: 'page_num=2',
    });
  });
});

describe('shipped body schemas', () => {
  const validator = (name: string) => {
    const schema = def(name).body;
    if (!schema) throw new Error(`${name} has no body schema`);
    return createBodySchemaAjv().compile(structuredClone(schema));
  };

  it('auth-signin needs username and password strings', () => {
    const v = validator('auth-signin');
    expect(v({ username: 'u@example.com', password: 'secret' })).toBe(true);
    expect(v({ username: 'u@example.com' })).toBe(false);
    expect(v({ password: 'secret' })).toBe(false);
    expect(v({ username: 1, password: 'secret' })).toBe(false);
  });

  it('create lists every documented field, requires none and allows others', () => {
    const body = def('create').body as { properties: Record<string, { type: string[] }>; required?: unknown; additionalProperties?: unknown };
    expect(Object.keys(body.properties)).toEqual(CREATE_FIELDS);
    expect(body.required).toBeUndefined();
    expect(body.additionalProperties).not.toBe(false);
    for (const f of ['asset_type_id', 'year', 'asset_damage_type_id', 'request_id', 'device_master_list_id', 'service_provider_org_id']) {
      expect(body.properties[f]?.type).toEqual(['integer', 'null']);
    }
    expect(body.properties.archived?.type).toEqual(['boolean', 'null']);
    expect(body.properties.serial_number?.type).toEqual(['string', 'null']);

    const v = validator('create');
    expect(v({})).toBe(true);
    expect(v({ asset_type_id: 1, year: 2022, make: 'Apple', archived: false, purchase_date: '2024-01-31', extra: { any: 1 } })).toBe(true);
    expect(v(Object.fromEntries(CREATE_FIELDS.map((f) => [f, null])))).toBe(true);
    expect(v({ year: '2022' })).toBe(false);
    expect(v({ archived: 'no' })).toBe(false);
  });

  it('grade needs a numeric price', () => {
    const v = validator('grade');
    expect(v({ price: 12.5 })).toBe(true);
    expect(v({})).toBe(false);
    expect(v({ price: '12.5' })).toBe(false);
  });

  it('APIs without documented bodies have no schema', () => {
    expect(set.list().filter((d) => d.body !== undefined).map((d) => d.name)).toEqual(['auth-signin', 'create', 'grade']);
  });
});
