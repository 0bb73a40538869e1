// The body schema of an API as the running gateway enforces it, read from its
// GET /openapi.json (built from the live definitions, so it follows a reload and any
// EVERCYCLE_APIS_DIR), plus pure helpers to walk it. Using the gateway's copy rather than
// the apis/ folder shipped with this CLI means a row that passes here is a row the gateway
// accepts, whichever definitions that gateway runs.
import { CliError } from '../errors.js';
import { answerError, type GatewayClient } from '../gateway-client.js';
import { isPlainObject } from './flatten.js';

export type JsonSchema = Record<string, unknown>;

export interface ApiOperation {
  method: string;
  /** The body schema; undefined when the API documents none. */
  body?: JsonSchema;
}

/** The operation whose operationId is `api` (the gateway uses the API name), from /openapi.json. */
export async function fetchOperation(client: GatewayClient, api: string): Promise<ApiOperation> {
  const answer = await client.request('GET', '/openapi.json');
  if (answer.status !== 200) {
    const err = answerError(answer);
    throw new CliError(`cannot read the API definitions from the gateway (GET /openapi.json): ${err.message}`, 1, answer);
  }
  const found = findOperation(answer.body, api);
  if (!found) throw new CliError(`the gateway has no API named '${api}' (see \`evercycle-gateway list\`)`, 1);
  return found;
}

/** Pure: the operation named `api` in an OpenAPI document. */
export function findOperation(doc: unknown, api: string): ApiOperation | undefined {
  const paths = isPlainObject(doc) && isPlainObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isPlainObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isPlainObject(op) || op.operationId !== api) continue;
      const content = isPlainObject(op.requestBody) && isPlainObject(op.requestBody.content) ? op.requestBody.content['application/json'] : undefined;
      const body = isPlainObject(content) && isPlainObject(content.schema) ? content.schema : undefined;
      return { method: method.toUpperCase(), ...(body && { body }) };
    }
  }
  return undefined;
}

/** Dotted paths of the schema's fields, in schema order; an object with its own properties is walked into. */
export function schemaFields(schema: JsonSchema | undefined, prefix = ''): string[] {
  const properties = schema && isPlainObject(schema.properties) ? schema.properties : undefined;
  if (!properties) return prefix === '' ? [] : [prefix];
  const out: string[] = [];
  for (const [name, sub] of Object.entries(properties)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    out.push(...(isPlainObject(sub) && isPlainObject(sub.properties) ? schemaFields(sub, path) : [path]));
  }
  return out;
}

/** The JSON types the schema allows at a dotted path (`['integer', 'null']`); undefined when it does not say. */
export function typesAt(schema: JsonSchema | undefined, path: string): string[] | undefined {
  let node: unknown = schema;
  for (const part of path.split('.')) {
    const properties = isPlainObject(node) && isPlainObject(node.properties) ? node.properties : undefined;
    if (!properties || !Object.hasOwn(properties, part)) return undefined;
    node = properties[part];
  }
  if (!isPlainObject(node)) return undefined;
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.type)) return node.type.filter((t): t is string => typeof t === 'string');
  return undefined;
}
