// Shapes of a loaded API definition. Parsing lives in parse.ts, path templates in
// template.ts, path-parameter resolution in params.ts; all pure. load.ts does the I/O.

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathParamType = 'integer' | 'string';

export interface QueryParamDoc {
  type: 'integer' | 'number' | 'string' | 'boolean';
  description?: string;
  required?: boolean;
}

/** A compiled `{param}` path template. */
export interface PathTemplate {
  /** The template as written, e.g. `/v1/pricebook/{id}/{grade}`. */
  source: string;
  /** Placeholder names in order of appearance. */
  names: string[];
  /** Fill placeholders; every value is percent-encoded as exactly one path segment. */
  render(values: Record<string, string>): string;
}

export interface ApiDefinition {
  /** File name without `.json`. */
  name: string;
  method: HttpMethod;
  path: string;
  description: string;
  /** Whether the gateway attaches the Evercycle tokens (default true). */
  auth: boolean;
  /** Type of every placeholder in `path` (placeholders not listed in the file are `string`). */
  params: Record<string, PathParamType>;
  /** Documented query parameters (documentation only: any query is forwarded). */
  query: Record<string, QueryParamDoc>;
  /** JSON Schema of the request body, when documented. */
  body?: Record<string, unknown>;
  /** Per-API upstream timeout overrides, in ms (unset: the gateway defaults). */
  timeouts: UpstreamTimeouts;
  /** Per-API retry override (unset fields: the gateway defaults). */
  retry: RetryOverride;
  template: PathTemplate;
}

export interface UpstreamTimeouts {
  /** Establishing a new connection. */
  connectMs?: number;
  /** From sending the request to the response headers. */
  headersMs?: number;
  /** Reading the whole response body once the headers arrived. */
  bodyMs?: number;
}

export interface RetryOverride {
  /** Tries in all, the first included (1 = never retry). */
  attempts?: number;
  /** Time within which retries may still start, from the first try, in ms. */
  budgetMs?: number;
}

/** An immutable, fully validated set of definitions; lookups never touch the file system. */
export interface DefinitionSet {
  get(name: string): ApiDefinition | undefined;
  /** All definitions sorted by name. */
  list(): readonly ApiDefinition[];
}

// ---- Additions (definitions part): constants shared by parse.ts, params.ts and callers. ----

export const PATH_PARAM_TYPES = ['integer', 'string'] as const;
export const QUERY_PARAM_TYPES = ['integer', 'number', 'string', 'boolean'] as const;

/** API names: lower-case, URL-safe, never a path separator or dot segment. */
export const API_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Names taken by the gateway's own routes (`/api/auth`, `/api/list`); a definition would be shadowed. */
export const RESERVED_API_NAMES: readonly string[] = Object.freeze(['auth', 'list']);
/** Placeholder names inside `{...}` in a path template. */
export const PLACEHOLDER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Upper bound of every `*timeout_ms` and `retry.budget_ms` in a definition file: 10 minutes. */
export const MAX_TIMEOUT_MS = 600_000;
/** Longest accepted value of a `string` path parameter, in UTF-16 code units. */
export const MAX_STRING_PARAM_LENGTH = 1024;
/** Upper bound of `retry.attempts`. */
export const MAX_RETRY_ATTEMPTS = 10;

/** One problem found in a definition file (or the folder); `field` is a dotted path such as `params.idd`. */
export interface DefinitionProblem {
  /** The file (or folder) the problem is in, as shown to the operator. */
  file: string;
  field?: string;
  message: string;
}
