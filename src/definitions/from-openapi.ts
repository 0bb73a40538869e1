// OpenAPI 3.0/3.1 documents -> definition files. Pure: a parsed document in, definitions
// and problems out; the command reads the file.
//
// Two kinds of operation:
// - The gateway's own document (/openapi.json): each proxied operation carries
//   `x-evercycle-upstream: {method, path, auth, body_schema}` (src/docs/openapi.ts), and the
//   definition is restored exactly: name = operationId, upstream method and path, description
//   = summary, path parameter types, documented query parameters, body schema, auth. The
//   gateway's own endpoints (tag `gateway`) are not APIs and are passed over. Timeouts and
//   retry overrides are the gateway's policy, not part of the document, and are not restored.
// - Any other operation: name = operationId as a slug (getAssetById -> get-asset-by-id), else
//   derived from method and path (generate.ts); upstream path = the server URL's path + the
//   path; description = summary, else the description's first line; `security: []` -> "auth":
//   false; path parameters typed integer or string; query parameters documented; the JSON
//   request body's schema with local $refs inlined and OpenAPI-only keywords rewritten for
//   JSON Schema (nullable, example, boolean exclusiveMinimum/Maximum; format, discriminator,
//   xml, externalDocs and x- extensions dropped). What cannot be mapped is reported.
import { bodySchemaProblems } from './body-schema.js';
import { DefinitionCollector, deriveApiName, slugify, type DefinitionFile, type GeneratedDefinition } from './generate.js';
import { HTTP_METHODS, QUERY_PARAM_TYPES, type HttpMethod, type PathParamType, type QueryParamDoc } from './types.js';

/** The extension src/docs/openapi.ts puts on every proxied operation. */
export const UPSTREAM_EXTENSION = 'x-evercycle-upstream';

export interface OpenApiProblem {
  /** The operation, `GET /v1/asset/{id}`, or `document`. */
  operation: string;
  message: string;
}

export interface OpenApiResult {
  definitions: GeneratedDefinition[];
  /** Operations skipped, or converted only in part; empty when the conversion is complete. */
  problems: OpenApiProblem[];
  /** The gateway's own endpoints in the gateway's document, passed over on purpose (`GET /health`). */
  ignored: string[];
}

/** The input is not an OpenAPI 3 document at all. */
export class OpenApiInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiInputError';
  }
}

type Json = Record<string, unknown>;

const OPERATION_KEYS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation of `doc` as a definition, or a reported reason why not. */
export function definitionsFromOpenApi(doc: unknown): OpenApiResult {
  if (!isObject(doc)) throw new OpenApiInputError('not an OpenAPI document: expected a JSON object');
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi)) {
    const version = typeof doc.swagger === 'string' ? `Swagger ${doc.swagger}` : typeof doc.openapi === 'string' ? `OpenAPI ${doc.openapi}` : 'no "openapi" version field';
    throw new OpenApiInputError(`not an OpenAPI 3.0 or 3.1 document (${version})`);
  }
  if (!isObject(doc.paths)) throw new OpenApiInputError('the document has no "paths" object');

  const result: OpenApiResult = { definitions: [], problems: [], ignored: [] };
  const collector = new DefinitionCollector();
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => {
    let pathItem: unknown;
    try {
      pathItem = resolve(doc, item);
    } catch (err) {
      if (!(err instanceof Skip)) throw err;
      result.problems.push({ operation: path, message: `skipped: ${err.message}` });
      return [];
    }
    if (!isObject(pathItem)) return [];
    return OPERATION_KEYS.filter((key) => isObject(pathItem[key])).map((key) => ({ path, pathItem, key, op: pathItem[key] as Json }));
  });
  const ownDocument = operations.some(({ op }) => op[UPSTREAM_EXTENSION] !== undefined);

  for (const { path, pathItem, key, op } of operations) {
    const label = `${key.toUpperCase()} ${path}`;
    if (ownDocument && op[UPSTREAM_EXTENSION] === undefined && Array.isArray(op.tags) && op.tags.includes('gateway')) {
      result.ignored.push(label);
      continue;
    }
    const report = (message: string) => result.problems.push({ operation: label, message });
    let definition: GeneratedDefinition | undefined;
    try {
      definition = op[UPSTREAM_EXTENSION] !== undefined ? ownOperation(doc, pathItem, op, label, report) : foreignOperation(doc, path, pathItem, key, op, label, report);
    } catch (err) {
      if (!(err instanceof Skip)) throw err;
      report(`skipped: ${err.message}`);
      continue;
    }
    if (!definition) continue;
    for (const reason of collector.add(definition)) report(`skipped: ${reason}`);
  }
  result.definitions = collector.definitions;
  return result;
}

/** The operation cannot become a definition; the message says why. */
class Skip extends Error {}

// ---- The gateway's own document ----

function ownOperation(doc: Json, pathItem: Json, op: Json, label: string, report: (m: string) => void): GeneratedDefinition {
  const upstream = op[UPSTREAM_EXTENSION];
  if (!isObject(upstream) || typeof upstream.method !== 'string' || typeof upstream.path !== 'string') {
    throw new Skip(`${UPSTREAM_EXTENSION} must be an object with method and path`);
  }
  if (!(HTTP_METHODS as readonly string[]).includes(upstream.method)) throw new Skip(`${UPSTREAM_EXTENSION}.method ${JSON.stringify(upstream.method)} is not one of ${HTTP_METHODS.join(', ')}`);
  if (typeof op.operationId !== 'string') throw new Skip('no operationId (the API name)');
  if (typeof op.summary !== 'string') throw new Skip('no summary (the description)');

  const json: DefinitionFile = { method: upstream.method as HttpMethod, path: upstream.path, description: op.summary };
  if (upstream.auth === false) json.auth = false;
  const { params, query } = parameters(doc, pathItem, op, report);
  if (Object.keys(params).length > 0) json.params = params;
  if (Object.keys(query).length > 0) json.query = query;
  if (upstream.body_schema === true) {
    const schema = jsonSchemaOf(doc, op.requestBody);
    if (schema === undefined) report('body_schema is true but the request body has no application/json schema; written without one');
    else json.body = structuredClone(schema);
  }
  return { name: op.operationId, json, source: label };
}

// ---- Any other document ----

function foreignOperation(doc: Json, path: string, pathItem: Json, key: string, op: Json, label: string, report: (m: string) => void): GeneratedDefinition {
  const method = key.toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new Skip(`the gateway proxies ${HTTP_METHODS.join(', ')} only`);
  const httpMethod = method as HttpMethod;
  const upstreamPath = joinPaths(serverPath(doc, pathItem, op, report), path);

  const summary = typeof op.summary === 'string' ? op.summary.trim() : '';
  const firstLine = typeof op.description === 'string' ? (op.description.trim().split('\n')[0] ?? '').trim() : '';
  const json: DefinitionFile = { method: httpMethod, path: upstreamPath, description: summary || firstLine || `${method} ${upstreamPath}` };
  // An empty security requirement list means "no authentication": the sign-in endpoint.
  const security = op.security ?? doc.security;
  if (Array.isArray(security) && security.length === 0) json.auth = false;

  const { params, query } = parameters(doc, pathItem, op, report);
  if (Object.keys(params).length > 0) json.params = params;
  if (Object.keys(query).length > 0) json.query = query;

  if (op.requestBody !== undefined) {
    const body = resolve(doc, op.requestBody);
    const content = isObject(body) && isObject(body.content) ? body.content : {};
    const types = Object.keys(content);
    const jsonType = types.find(isJsonMediaType);
    if (httpMethod === 'GET') {
      report('the request body of a GET is not converted (the gateway sends no body with a GET)');
    } else if (jsonType === undefined) {
      if (types.length > 0) throw new Skip(`the request body is ${types.join(', ')}; the gateway forwards JSON bodies only`);
    } else {
      const schema = (content[jsonType] as Json | undefined)?.schema;
      if (isObject(schema)) {
        const converted = bodySchema(doc, schema, report);
        if (converted) json.body = converted;
      }
    }
  }

  const name = typeof op.operationId === 'string' && slugify(op.operationId) !== '' ? slugify(op.operationId) : deriveApiName(httpMethod, upstreamPath);
  return { name, json, source: label };
}

/** The path of the server URL that applies (operation, path item, document), `` for none. */
function serverPath(doc: Json, pathItem: Json, op: Json, report: (m: string) => void): string {
  const servers = [op.servers, pathItem.servers, doc.servers].find((s) => Array.isArray(s) && s.length > 0) as unknown[] | undefined;
  const server = servers?.[0];
  if (!isObject(server) || typeof server.url !== 'string') return '';
  // Server variables take their defaults (`https://{host}/v1`).
  const variables = isObject(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^}]*)\}/g, (whole, name: string) => {
    const v = variables[name];
    return isObject(v) && typeof v.default === 'string' ? v.default : whole;
  });
  if (/[{}]/.test(url)) {
    report(`the server URL ${url} has a variable without a default; its path is not prefixed`);
    return '';
  }
  const m = /^(?:[a-z][a-z0-9+.-]*:)?(?:\/\/[^/?#]*)?([^?#]*)/i.exec(url);
  return (m?.[1] ?? '').replace(/\/+$/, '');
}

function joinPaths(base: string, path: string): string {
  if (base === '') return path;
  return `${base.startsWith('/') ? base : `/${base}`}${path}`;
}

function isJsonMediaType(type: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i.test(type);
}

// ---- Parameters ----

function parameters(doc: Json, pathItem: Json, op: Json, report: (m: string) => void): { params: Record<string, PathParamType>; query: Record<string, QueryParamDoc> } {
  // Operation parameters override the path item's of the same name and location.
  const merged = new Map<string, Json>();
  for (const list of [pathItem.parameters, op.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const p = resolve(doc, raw);
      if (isObject(p) && typeof p.name === 'string' && typeof p.in === 'string') merged.set(`${p.in}:${p.name}`, p);
    }
  }
  const params: Record<string, PathParamType> = {};
  const query: Record<string, QueryParamDoc> = {};
  for (const p of merged.values()) {
    const name = p.name as string;
    const schema = resolve(doc, p.schema);
    const type = isObject(schema) ? schemaType(schema) : undefined;
    switch (p.in) {
      case 'path':
        params[name] = type === 'integer' ? 'integer' : 'string';
        break;
      case 'query': {
        let queryType: QueryParamDoc['type'] = 'string';
        if ((QUERY_PARAM_TYPES as readonly string[]).includes(type ?? '')) queryType = type as QueryParamDoc['type'];
        else if (type !== undefined) report(`query parameter ${name}: type ${type} is documented as string`);
        query[name] = {
          type: queryType,
          ...(typeof p.description === 'string' && p.description !== '' ? { description: p.description } : {}),
          ...(p.required === true ? { required: true } : {}),
        };
        break;
      }
      default:
        report(`${p.in} parameter ${name} is not converted: the gateway sends no header or cookie of the client upstream`);
    }
  }
  return { params, query };
}

/** `type` of a schema; for a 3.1 `["integer", "null"]` the non-null one. */
function schemaType(schema: Json): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== 'null');
    if (types.length === 1 && typeof types[0] === 'string') return types[0];
  }
  return undefined;
}

// ---- Request bodies ----

function jsonSchemaOf(doc: Json, requestBody: unknown): Json | undefined {
  const body = resolve(doc, requestBody);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const media = body.content['application/json'];
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
}

/** The body schema as a standalone JSON Schema the gateway can compile, or undefined (reported). */
function bodySchema(doc: Json, schema: Json, report: (m: string) => void): Json | undefined {
  let inlined: unknown;
  try {
    inlined = inlineRefs(doc, schema, []);
  } catch (err) {
    if (!(err instanceof Skip)) throw err;
    report(`the request body schema is not converted (${err.message}); written without one`);
    return undefined;
  }
  const converted = toJsonSchema(inlined) as Json;
  const problems = bodySchemaProblems(converted);
  if (problems.length > 0) {
    report(`the request body schema is not converted (${problems.join('; ')}); written without one`);
    return undefined;
  }
  return converted;
}

/** `value` with every local `$ref` replaced by its target (siblings of the `$ref` kept). */
function inlineRefs(doc: Json, value: unknown, stack: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => inlineRefs(doc, v, stack));
  if (!isObject(value)) return value;
  if (typeof value.$ref === 'string') {
    const ref = value.$ref;
    if (stack.includes(ref)) throw new Skip(`it is recursive through ${ref}`);
    const { $ref: _, ...siblings } = value;
    const target = inlineRefs(doc, pointer(doc, ref), [...stack, ref]);
    return { ...(isObject(target) ? target : {}), ...(inlineRefs(doc, siblings, stack) as Json) };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineRefs(doc, v, stack)]));
}

const DROPPED_KEYWORDS = new Set(['format', 'discriminator', 'xml', 'externalDocs', '$schema']);
const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];
const SCHEMA_VALUES = ['additionalProperties', 'items', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];

/**
 * An OpenAPI schema as JSON Schema for ajv's strict mode: `nullable` becomes a "null" type,
 * `example` becomes `examples`, 3.0's boolean exclusiveMinimum/Maximum become numbers, and
 * keywords ajv does not know (format without ajv-formats, discriminator, xml, externalDocs,
 * x- extensions) are dropped. Only schema positions are rewritten: a property named
 * "format" stays.
 */
function toJsonSchema(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYWORDS.has(key) || key.startsWith('x-') || key === 'nullable' || key === 'example') continue;
    if (SCHEMA_MAPS.includes(key) && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]));
    else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) out[key] = value.map(toJsonSchema);
    else if (SCHEMA_VALUES.includes(key)) out[key] = toJsonSchema(value);
    else out[key] = value;
  }
  if (schema.example !== undefined && out.examples === undefined) out.examples = [schema.example];
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  return out;
}

// ---- References ----

/** `value`, or what its local `$ref` points to (one level: parameters, request bodies, path items). */
function resolve(doc: Json, value: unknown): unknown {
  const seen = new Set<string>();
  let current = value;
  while (isObject(current) && typeof current.$ref === 'string') {
    if (seen.has(current.$ref)) throw new Skip(`$ref cycle through ${current.$ref}`);
    seen.add(current.$ref);
    current = pointer(doc, current.$ref);
  }
  return current;
}

/** The target of a local reference `#/a/b~1c`. */
function pointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#')) throw new Skip(`$ref ${ref} points outside the document`);
  let target: unknown = doc;
  const path = ref.slice(1);
  if (path === '') return doc;
  for (const raw of path.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(target) && !Array.isArray(target)) throw new Skip(`$ref ${ref} points nowhere`);
    target = (target as Record<string, unknown>)[key];
    if (target === undefined) throw new Skip(`$ref ${ref} points nowhere`);
  }
  return target;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
