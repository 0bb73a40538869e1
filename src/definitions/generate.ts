// What the definition generators (from-markdown.ts, from-openapi.ts) share: the shape of a
// generated definition file, the naming rule for endpoints without a name, and the final
// check that keeps an invalid or duplicate definition out of the result. Pure.
//
// The naming rule: a verb for the method, then the path's segments without the leading
// version segment, placeholders by their name:
//
//   GET    /v1/asset/{id}              -> get-asset-id
//   PUT    /v1/asset/{id}              -> edit-asset-id
//   PUT    /v1/pricebook/{id}/{grade}  -> edit-pricebook-id-grade
//   PATCH  /v1/asset/{id}              -> update-asset-id
//   DELETE /v1/asset/{id}              -> delete-asset-id
//   POST   /v1/auth/signin             -> auth-signin
//   POST   /v1/asset/create            -> asset-create
//
// POST takes no verb: Evercycle's POST paths end in their action (signin, create, request,
// confirm), and the API reference's own names read that way (`auth-signin`). The verbs
// keep GET and PUT of one path apart (`get-asset-id`, `edit-asset-id`, as in the reference).
import { definitionProblems } from './parse.js';
import type { HttpMethod, PathParamType, QueryParamDoc } from './types.js';

/** The content of a definition file, as the generators write it (README "Adding an API definition"). */
export interface DefinitionFile {
  method: HttpMethod;
  path: string;
  description: string;
  /** Only ever written as false (true is the default). */
  auth?: false;
  params?: Record<string, PathParamType>;
  query?: Record<string, QueryParamDoc>;
  body?: Record<string, unknown>;
}

export interface GeneratedDefinition {
  /** The API name: the file is `<name>.json`. */
  name: string;
  json: DefinitionFile;
  /** Where it came from, for messages: `line 12` of a markdown file, `GET /v1/asset` of a document. */
  source: string;
}

const VERBS: Record<HttpMethod, string> = { GET: 'get', PUT: 'edit', PATCH: 'update', DELETE: 'delete', POST: '' };

/** The derived name of `method path` (see the rule above); may still be unusable (too long, reserved). */
export function deriveApiName(method: HttpMethod, path: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length > 0 && /^v\d+$/i.test(segments[0]!)) segments.shift();
  const words = segments.map((s) => s.replace(/^\{(.*)\}$/, '$1'));
  return slugify([VERBS[method], ...words].filter((w) => w !== '').join('-')) || method.toLowerCase();
}

/**
 * `text` as an API name: camelCase split at the case change, lower case, every run of
 * characters other than a-z, 0-9, `_` and `-` one `-`, no separator at either end.
 * `getAssetById` -> `get-asset-by-id`, `Asset list` -> `asset-list`.
 */
export function slugify(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

/**
 * Collects generated definitions, admitting one only when it is a valid definition file
 * (definitionProblems, the loader's own check) under a name not taken yet; otherwise
 * the reasons are returned and nothing is added.
 */
export class DefinitionCollector {
  readonly definitions: GeneratedDefinition[] = [];
  private readonly sources = new Map<string, string>();

  /** [] when added; else why not, one message per problem (field-prefixed). */
  add(definition: GeneratedDefinition): string[] {
    const taken = this.sources.get(definition.name);
    if (taken !== undefined) return [`name "${definition.name}" is already used by ${taken}`];
    const problems = definitionProblems(definition.name, definition.json);
    if (problems.length > 0) return problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message));
    this.sources.set(definition.name, definition.source);
    this.definitions.push(definition);
    return [];
  }
}
