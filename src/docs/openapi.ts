// The OpenAPI 3.1 description of a gateway: one operation per API definition (tag `apis`,
// operationId = the API name, so Swagger UI deep links read /docs#/apis/<name>) and the
// gateway's own endpoints (tag `gateway`). Pure: built from the definitions alone, no I/O.
import { hasLocalRef, publishedSchema } from './json-schema.js';
import type { ApiDefinition } from '../definitions/types.js';

export interface OpenApiOptions {
  /** info.version: the gateway's version. */
  version: string;
  /** Client API keys are configured: every route but /health and /ready needs one. */
  apiKeys: boolean;
}

/** A JSON Schema, or any other plain JSON object of the document. */
type Json = Record<string, unknown>;

export interface OpenApiOperation {
  tags: string[];
  operationId: string;
  summary: string;
  description?: string;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  security?: Json[];
  /** On every proxied operation: the upstream call (see UpstreamExtension). */
  'x-evercycle-upstream'?: UpstreamExtension;
}

/**
 * What the rest of a proxied operation does not say in machine-readable form, so that the
 * definition can be restored from the document (`definitions from-openapi`): the upstream
 * method and path, whether the gateway attaches its tokens, and whether the request body
 * schema is the definition's own (false: no request body, or the placeholder for an
 * undocumented one; a GET's body schema is not published, as the gateway sends no GET body).
 */
export interface UpstreamExtension {
  method: ApiDefinition['method'];
  path: string;
  auth: boolean;
  body_schema: boolean;
}

export type OpenApiPathItem = Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', OpenApiOperation>>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, OpenApiPathItem>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes?: Record<string, Json> };
  security?: Json[];
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The document for `definitions` (in the order given: a DefinitionSet lists them by name). */
export function buildOpenApi(definitions: readonly ApiDefinition[], options: OpenApiOptions): OpenApiDocument {
  const paths: Record<string, OpenApiPathItem> = { ...gatewayPaths(options) };
  for (const def of definitions) {
    paths[proxyPath(def)] = { [def.method.toLowerCase()]: proxyOperation(def) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Evercycle gateway',
      version: options.version,
      description:
        'A gateway in front of the Evercycle asset-management API. Every answer is JSON: ' +
        '`{"status":"success","data":...}` or `{"status":"error","message":...}`, and carries an `X-Request-Id`.',
    },
    // Relative: "Try it out" calls whichever gateway serves this document.
    servers: [{ url: '/' }],
    tags: [
      { name: 'apis', description: 'Evercycle APIs, proxied by name (GET /api/list lists them)' },
      { name: 'gateway', description: "The gateway's own endpoints" },
    ],
    paths,
    components: {
      schemas: { ...SCHEMAS, ...bodySchemaComponents(definitions) },
      responses: RESPONSES,
      ...(options.apiKeys ? { securitySchemes: SECURITY_SCHEMES } : {}),
    },
    // Either header will do.
    ...(options.apiKeys ? { security: [{ bearerKey: [] }, { apiKeyHeader: [] }] } : {}),
  };
}

/** Body schemas that refer to their own parts, each under a name of its own (API names are lower case; ours are not). */
function bodySchemaComponents(definitions: readonly ApiDefinition[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const def of definitions) {
    if (def.body && METHODS_WITH_BODY.has(def.method) && hasLocalRef(def.body)) out[`${def.name}.body`] = publishedSchema(def.body, bodySchemaRef(def)) as Json;
  }
  return out;
}

function bodySchemaRef(def: ApiDefinition): string {
  return `#/components/schemas/${def.name}.body`;
}

/** `/api/<name>` then one `/{param}` per placeholder, in template order: the positional form. */
export function proxyPath(def: ApiDefinition): string {
  return `/api/${def.name}${def.template.names.map((name) => `/{${name}}`).join('')}`;
}

function proxyOperation(def: ApiDefinition): OpenApiOperation {
  const names = def.template.names;
  const notes = [`Calls Evercycle \`${def.method} ${def.path}\`.`];
  if (names.length > 0) {
    notes.push('Path parameters may instead be given as query parameters of the same name, or as top-level fields of the JSON body.');
  }
  if (!def.auth) notes.push("Called without the gateway's Evercycle tokens.");

  const parameters: Json[] = [
    ...names.map((name) => ({ name, in: 'path', required: true, schema: pathParamSchema(def.params[name] ?? 'string') })),
    ...Object.entries(def.query).map(([name, doc]) => ({
      name,
      in: 'query',
      ...(doc.required ? { required: true } : {}),
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      schema: { type: doc.type },
    })),
  ];

  const hasBody = METHODS_WITH_BODY.has(def.method);
  return {
    tags: ['apis'],
    operationId: def.name,
    summary: def.description,
    description: notes.join(' '),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(hasBody ? { requestBody: requestBody(def) } : {}),
    responses: {
      '200': {
        description: "Evercycle's answer, wrapped, with Evercycle's own 2xx status; 204 and 205 become 200",
        content: json('#/components/schemas/Success'),
      },
      ...(def.method === 'POST' ? { '201': { description: 'Created: Evercycle\'s answer, wrapped', content: json('#/components/schemas/Success') } } : {}),
      ...errorResponses(['400', '401', '403', '404', '405', ...(hasBody ? ['413', '415'] : []), '429', '502', '503', '504']),
      default: { $ref: '#/components/responses/Error' },
    },
    'x-evercycle-upstream': { method: def.method, path: def.path, auth: def.auth, body_schema: hasBody && def.body !== undefined },
  };
}

/**
 * The definition's body schema; without one, any JSON object, so "Try it out" can still
 * send a body to a POST or PUT API whose fields are not documented.
 */
function requestBody(def: ApiDefinition): Json {
  if (def.body) {
    const required = Array.isArray(def.body.required) && def.body.required.length > 0;
    // A schema that refers to its own parts lives in components, where its refs can point.
    const schema = hasLocalRef(def.body) ? { $ref: bodySchemaRef(def) } : (publishedSchema(def.body, '#') as Json);
    return { required, content: { 'application/json': { schema } } };
  }
  return {
    required: false,
    content: {
      'application/json': {
        schema: { type: 'object', description: 'Not documented by this API definition: forwarded to Evercycle as sent.' },
      },
    },
  };
}

function pathParamSchema(type: 'integer' | 'string'): Json {
  return type === 'integer' ? { type: 'integer', minimum: 0 } : { type: 'string' };
}

function gatewayPaths(options: OpenApiOptions): Record<string, OpenApiPathItem> {
  // operationIds are camelCase: API names are lower case, so they can never collide.
  return {
    '/health': {
      get: {
        tags: ['gateway'],
        operationId: 'getHealth',
        summary: 'Liveness and a summary of the gateway',
        description: 'Always 200 while the process serves; `status` is `degraded` while the upstream circuit is open. Never needs a key.',
        responses: { '200': { description: 'Serving', content: json('#/components/schemas/Health') }, ...errorResponses(['405']) },
        security: [],
      },
    },
    '/ready': {
      get: {
        tags: ['gateway'],
        operationId: 'getReady',
        summary: 'Readiness, for load balancers',
        description: 'Never needs a key.',
        responses: {
          '200': { description: 'This instance can serve calls', content: json('#/components/schemas/Ready') },
          ...errorResponses(['405']),
          '503': {
            description: 'The upstream circuit is open, the service account cannot sign in, or the gateway is shutting down',
            headers: { 'Retry-After': RETRY_AFTER },
            content: json('#/components/schemas/NotReady'),
          },
        },
        security: [],
      },
    },
    '/api/list': {
      get: {
        tags: ['gateway'],
        operationId: 'listApis',
        summary: 'The loaded API definitions, sorted by name',
        responses: { '200': { description: 'The APIs', content: json('#/components/schemas/ApiList') }, ...errorResponses(['401', '403', '405', '429']) },
      },
    },
    '/api/auth': {
      post: {
        tags: ['gateway'],
        operationId: 'signIn',
        summary: 'Sign the gateway in to Evercycle',
        description: 'Signs in upstream and keeps the tokens for every later call.' + (options.apiKeys ? ' Needs an admin key.' : ''),
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Credentials' } } } },
        responses: {
          '200': { description: 'Signed in', content: json('#/components/schemas/Message') },
          ...errorResponses(['400', '401', '403', '405', '413', '429', '502', '503', '504']),
        },
      },
      delete: {
        tags: ['gateway'],
        operationId: 'signOut',
        summary: 'Sign the gateway out',
        description:
          'Forgets the Evercycle tokens (memory and token store; Evercycle has no sign-out call). A configured service account signs in again on the next call.' +
          (options.apiKeys ? ' Needs an admin key.' : ''),
        responses: {
          '200': { description: 'Signed out (or was not signed in)', content: json('#/components/schemas/Message') },
          ...errorResponses(['401', '403', '405', '429']),
        },
      },
    },
  };
}

function json(ref: string): Json {
  return { 'application/json': { schema: { $ref: ref } } };
}

function errorResponses(codes: string[]): Record<string, Json> {
  return Object.fromEntries(codes.map((code) => [code, { $ref: `#/components/responses/${ERROR_RESPONSE_NAMES[code]}` }]));
}

const RETRY_AFTER: Json = { description: 'Seconds to wait before trying again', schema: { type: 'string' } };

const SCHEMAS: Record<string, Json> = {
  Success: {
    type: 'object',
    required: ['status', 'data'],
    properties: {
      status: { const: 'success' },
      data: { description: "Evercycle's answer: its JSON, its text when it is not JSON, null when empty" },
    },
  },
  Error: {
    type: 'object',
    required: ['status', 'message'],
    properties: {
      status: { const: 'error' },
      message: { type: 'string' },
      upstream_status: { type: 'integer', description: 'The status Evercycle answered, when the error is its answer' },
      details: { description: "Evercycle's error body, when the error is its answer" },
      param: { type: 'string', description: 'The path parameter at fault (400)' },
      errors: {
        type: 'array',
        description: 'Each way the request body fails the API\'s body schema (400)',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string', description: 'JSON Pointer into the body ("" is the body itself)' }, message: { type: 'string' } },
        },
      },
    },
  },
  Message: {
    type: 'object',
    required: ['status', 'message'],
    properties: { status: { const: 'success' }, message: { type: 'string' } },
  },
  Credentials: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      username: { type: 'string', description: 'Evercycle username' },
      password: { type: 'string', description: 'Evercycle password' },
    },
    // The API reference's own example.
    examples: [{ username: 'user@example.com', password: 'secret' }],
  },
  ApiList: {
    type: 'object',
    required: ['status', 'apis'],
    properties: {
      status: { const: 'success' },
      apis: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'method', 'path', 'description'],
          properties: {
            name: { type: 'string' },
            method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
            path: { type: 'string', description: 'Evercycle path, with {param} placeholders' },
            description: { type: 'string' },
          },
        },
      },
    },
  },
  Health: {
    type: 'object',
    required: ['status', 'message', 'version', 'upstream', 'circuit', 'authenticated', 'token_expires_in_s', 'apis'],
    properties: {
      status: { enum: ['ok', 'degraded'] },
      message: { type: 'string' },
      version: { type: 'string' },
      upstream: { type: 'string', description: '"simulator" or the Evercycle base URL' },
      circuit: { $ref: '#/components/schemas/Circuit' },
      authenticated: { type: 'boolean', description: 'Whether the gateway holds a valid Evercycle token' },
      token_expires_in_s: { type: ['integer', 'null'] },
      apis: { type: 'integer', description: 'Number of loaded API definitions' },
    },
  },
  Ready: {
    type: 'object',
    required: ['status', 'message', 'circuit'],
    properties: { status: { const: 'ok' }, message: { type: 'string' }, circuit: { $ref: '#/components/schemas/Circuit' } },
  },
  NotReady: {
    type: 'object',
    required: ['status', 'message'],
    properties: {
      status: { const: 'error' },
      message: { type: 'string' },
      circuit: { $ref: '#/components/schemas/Circuit' },
      retry_after_s: { type: 'integer' },
    },
  },
  Circuit: { enum: ['closed', 'open', 'half-open'], description: 'State of the upstream circuit breaker' },
};

/** Shared error responses: [component name, description, extra headers]. */
const ERRORS: Record<string, [string, string, Record<string, Json>?]> = {
  '400': ['BadRequest', 'Malformed request: JSON, path or query parameter, or a body that fails the schema'],
  '401': ['Unauthorized', 'API key missing or invalid, or the gateway is not signed in to Evercycle (or Evercycle refused it)'],
  '403': ['Forbidden', 'The API key may not use this, or a non-loopback client without keys configured, or Evercycle refused'],
  '404': ['NotFound', 'No such API, or Evercycle has no such resource'],
  '405': ['MethodNotAllowed', 'Wrong method for this endpoint', { Allow: { description: 'The methods this endpoint accepts', schema: { type: 'string' } } }],
  '413': ['PayloadTooLarge', 'Request body over the limit (BODY_LIMIT_BYTES)'],
  '415': ['UnsupportedMediaType', 'Request body is not JSON'],
  '429': ['TooManyRequests', 'Rate limit exceeded, or Evercycle asks to slow down', { 'Retry-After': RETRY_AFTER }],
  '502': ['BadGateway', 'Evercycle failed (5xx, redirect) or could not be reached'],
  '503': ['ServiceUnavailable', 'Calls paused (circuit open, refresh cooldown) or the gateway is shutting down', { 'Retry-After': RETRY_AFTER }],
  '504': ['GatewayTimeout', 'Evercycle did not answer in time'],
};

const ERROR_RESPONSE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(ERRORS).map(([code, [name]]) => [code, name]));

const RESPONSES: Record<string, Json> = {
  ...Object.fromEntries(
    Object.values(ERRORS).map(([name, description, headers]) => [
      name,
      { description, ...(headers ? { headers } : {}), content: json('#/components/schemas/Error') },
    ]),
  ),
  Error: { description: 'Any other error (Evercycle 4xx answers keep their status)', content: json('#/components/schemas/Error') },
};

const SECURITY_SCHEMES: Record<string, Json> = {
  bearerKey: { type: 'http', scheme: 'bearer', description: 'A gateway API key: `Authorization: Bearer <key>`' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A gateway API key: `X-API-Key: <key>`' },
};
