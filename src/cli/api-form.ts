// What the interactive mode asks for one API: its path parameters, query parameters and
// body fields, with their types. GET /api/list has only name, method and path, so the
// types come from the gateway's GET /openapi.json (built from the same definitions:
// operationId = API name, typed path and query parameters, the body's JSON Schema).
// Without that document, the path's {placeholders} are asked as strings and the body as
// free JSON. Pure: no I/O, no prompts.
import type { ListedApi } from './gateway-client.js';

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'json';

export interface Field {
  name: string;
  type: FieldType;
  required: boolean;
  description?: string;
  /** Allowed values (JSON Schema enum), when the schema lists them. */
  choices?: readonly (string | number | boolean | null)[];
  /** A password: asked without echo, masked when the request is shown. */
  secret: boolean;
}

export interface ApiForm {
  name: string;
  method: string;
  pathParams: Field[];
  /** Documented query parameters; null when none are documented (free-form query then). */
  query: Field[] | null;
  /** null: the method takes no body. fields null: an undocumented body, asked as JSON. */
  body: { required: boolean; fields: Field[] | null } | null;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SECRET_NAMES = /^(password|secret|refresh_token|token)$/i;

type Json = Record<string, unknown>;

/** The form for `api` from an OpenAPI document; the /api/list fallback when the document lacks it. */
export function apiForm(api: ListedApi, openapi: unknown): ApiForm {
  const operation = findOperation(openapi, api.name);
  if (!operation) return formFromList(api);
  const parameters = Array.isArray(operation.parameters) ? (operation.parameters as Json[]) : [];
  const fieldOf = (p: Json): Field => field(String(p.name), resolve(openapi, p.schema), p.required === true, p.description);
  const query = parameters.filter((p) => p.in === 'query').map(fieldOf);
  return {
    name: api.name,
    method: api.method,
    // In the document's order, which is the path template's.
    pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ ...fieldOf(p), required: true })),
    query: query.length > 0 ? query : null,
    body: METHODS_WITH_BODY.has(api.method) ? bodyForm(openapi, operation.requestBody) : null,
  };
}

/** Without types: the placeholders of the upstream path, in order, as strings. */
export function formFromList(api: ListedApi): ApiForm {
  const names = [...api.path.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1]!);
  return {
    name: api.name,
    method: api.method,
    pathParams: names.map((name) => ({ name, type: 'string', required: true, secret: false })),
    query: null,
    body: METHODS_WITH_BODY.has(api.method) ? { required: false, fields: null } : null,
  };
}

function findOperation(openapi: unknown, name: string): Json | undefined {
  const paths = (openapi as { paths?: unknown } | null)?.paths;
  if (!paths || typeof paths !== 'object') return undefined;
  for (const item of Object.values(paths as Record<string, unknown>)) {
    if (!item || typeof item !== 'object') continue;
    for (const operation of Object.values(item as Record<string, unknown>)) {
      if (operation && typeof operation === 'object' && (operation as Json).operationId === name) return operation as Json;
    }
  }
  return undefined;
}

function bodyForm(openapi: unknown, requestBody: unknown): ApiForm['body'] {
  const body = resolve(openapi, requestBody);
  const schema = resolve(openapi, ((body.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema);
  const required = body.required === true;
  const properties = schema.properties;
  if (!properties || typeof properties !== 'object' || Object.keys(properties).length === 0) return { required, fields: null };
  const requiredNames = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const fields = Object.entries(properties as Record<string, unknown>).map(([name, prop]) => {
    const propSchema = resolve(openapi, prop);
    return field(name, propSchema, requiredNames.has(name), propSchema.description);
  });
  return { required, fields };
}

/** A field from its JSON Schema: the first non-null type; objects and arrays are typed as JSON. */
function field(name: string, schema: Json, required: boolean, description: unknown): Field {
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t) => t !== 'null');
  const first = types[0];
  const type: FieldType =
    types.length > 1 ? 'json' : first === 'integer' || first === 'number' || first === 'boolean' || first === 'string' ? first : first === undefined && Array.isArray(schema.enum) ? 'string' : 'json';
  const choices = Array.isArray(schema.enum) ? (schema.enum as Field['choices']) : undefined;
  return {
    name,
    type,
    required,
    ...(typeof description === 'string' ? { description } : {}),
    ...(choices ? { choices } : {}),
    secret: SECRET_NAMES.test(name),
  };
}

/** `value`, or the local `#/...` schema it points at with $ref; {} when neither is an object. */
function resolve(openapi: unknown, value: unknown): Json {
  let current = value;
  for (let hops = 0; hops < 8 && current && typeof current === 'object' && typeof (current as Json).$ref === 'string'; hops++) {
    const ref = (current as Json).$ref as string;
    if (!ref.startsWith('#/')) return {};
    current = ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), openapi);
  }
  return current && typeof current === 'object' && !Array.isArray(current) ? (current as Json) : {};
}

/** Keys whose values are secrets in an answer: Evercycle's AccessToken, IdToken, RefreshToken, and any password or secret. */
const SECRET_ANSWER_KEYS = /token|password|secret/i;

/**
 * `value` with every string or number under a secret key (at any depth) replaced by `mask`:
 * how the interactive mode prints an answer, so that a sign-in through it does not put
 * Evercycle tokens on the screen (or in a terminal's scrollback).
 */
export function maskSecrets(value: unknown, mask: string): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, mask));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, v]) => [
      key,
      SECRET_ANSWER_KEYS.test(key) && (typeof v === 'string' || typeof v === 'number') ? mask : maskSecrets(v, mask),
    ]),
  );
}
