// Validation of one definition file's JSON into an ApiDefinition. Pure: no I/O.
// zod checks the shape; the cross-field rules (params vs. path placeholders, the body
// schema compiling) are checked here too, and every problem is reported, not just the first.
import { z } from 'zod';
import { bodySchemaProblems } from './body-schema.js';
import { DefinitionError } from './errors.js';
import { compilePathTemplate, pathTemplateProblems } from './template.js';
import {
  API_NAME_PATTERN,
  HTTP_METHODS,
  MAX_RETRY_ATTEMPTS,
  MAX_TIMEOUT_MS,
  PATH_PARAM_TYPES,
  QUERY_PARAM_TYPES,
  RESERVED_API_NAMES,
  type ApiDefinition,
  type DefinitionProblem,
  type PathParamType,
  type QueryParamDoc,
} from './types.js';

const FIELDS = [
  'method',
  'path',
  'description',
  'auth',
  'params',
  'query',
  'body',
  'timeout_ms',
  'connect_timeout_ms',
  'headers_timeout_ms',
  'body_timeout_ms',
  'retry',
] as const;
const RETRY_FIELDS = ['attempts', 'budget_ms'] as const;
const QUERY_DOC_FIELDS = ['type', 'description', 'required'] as const;

const queryDocSchema = z.strictObject({
  type: z.enum(QUERY_PARAM_TYPES),
  description: z.string().optional(),
  required: z.boolean().optional(),
});

const timeoutMs = z.number().int().min(1).max(MAX_TIMEOUT_MS);

const fileSchema = z.strictObject({
  method: z.enum(HTTP_METHODS),
  path: z.string().superRefine((path, ctx) => {
    for (const message of pathTemplateProblems(path)) ctx.addIssue({ code: 'custom', message });
  }),
  description: z.string().trim().min(1, 'must not be empty'),
  auth: z.boolean().optional(),
  params: z.record(z.string(), z.enum(PATH_PARAM_TYPES)).optional(),
  query: z.record(z.string(), queryDocSchema).optional(),
  body: z
    .record(z.string(), z.unknown())
    .superRefine((schema, ctx) => {
      for (const message of bodySchemaProblems(schema)) ctx.addIssue({ code: 'custom', message });
    })
    .optional(),
  // timeout_ms is shorthand for headers_timeout_ms and body_timeout_ms together.
  timeout_ms: timeoutMs.optional(),
  connect_timeout_ms: timeoutMs.optional(),
  headers_timeout_ms: timeoutMs.optional(),
  body_timeout_ms: timeoutMs.optional(),
  // false: never retry this API.
  retry: z
    .union([
      z.literal(false),
      z.strictObject({
        attempts: z.number().int().min(1).max(MAX_RETRY_ATTEMPTS).optional(),
        budget_ms: z.number().int().min(0).max(MAX_TIMEOUT_MS).optional(),
      }),
    ])
    .optional(),
});

type FileShape = z.output<typeof fileSchema>;

/** Why `name` cannot be an API name, or undefined when it can. */
export function apiNameProblem(name: string): string | undefined {
  if (!API_NAME_PATTERN.test(name)) return `API name ${JSON.stringify(name)} must match ${API_NAME_PATTERN.source}`;
  if (RESERVED_API_NAMES.includes(name)) {
    return `API name "${name}" is reserved: the gateway's own route /api/${name} would shadow it`;
  }
  return undefined;
}

/** True when `name` could name a definition (syntax and not reserved). */
export function isValidApiName(name: string): boolean {
  return typeof name === 'string' && apiNameProblem(name) === undefined;
}

/**
 * Every problem with one definition, as {file, field, message}; empty when it is valid.
 * `file` is the label used in messages (default `<name>.json`).
 */
export function definitionProblems(name: string, json: unknown, file = `${name}.json`): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (field: string | undefined, message: string) =>
    problems.push(field === undefined ? { file, message } : { file, field, message });

  const nameProblem = apiNameProblem(name);
  if (nameProblem) add('file name', nameProblem);

  if (!isPlainObject(json)) {
    add(undefined, `expected a JSON object at the top level, got ${describe(json)}`);
    return problems;
  }

  const parsed = fileSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const [field, message] of formatIssue(issue)) add(field, message);
    }
  }

  // zod's record() skips a "__proto__" key silently; check raw keys ourselves.
  const { path, params, query } = json;
  const names = typeof path === 'string' && pathTemplateProblems(path).length === 0 ? compilePathTemplate(path).names : undefined;
  if (isPlainObject(query)) {
    for (const key of Object.keys(query)) {
      if (key === '' || key === '__proto__') add(`query.${key}`, 'not a usable query parameter name');
      // A query parameter named like a placeholder is read as that placeholder (params.ts),
      // and refused when the path segment is given too: documenting it would mislead.
      else if (names?.includes(key)) add(`query.${key}`, `{${key}} is a path parameter of this API: document it in params, not query`);
    }
  }
  if (isPlainObject(params)) {
    for (const key of Object.keys(params)) {
      if (names && !names.includes(key)) {
        const known = names.length > 0 ? `placeholders: ${names.join(', ')}` : 'path has no placeholders';
        add(`params.${key}`, `not a placeholder of path (${known})`);
      } else if (key === '__proto__') {
        add(`params.${key}`, 'not a usable parameter name');
      }
    }
  }
  return problems;
}

/**
 * Validate one definition file's parsed JSON. Throws DefinitionError naming the file and
 * every problem with its field path. The result is deeply frozen.
 */
export function parseDefinition(name: string, json: unknown, file = `${name}.json`): ApiDefinition {
  const problems = definitionProblems(name, json, file);
  if (problems.length > 0) throw new DefinitionError(problems);
  // No problems: the shape is exactly FileShape. Build from the raw JSON (not zod's output)
  // so nothing zod dropped can differ from what was validated above.
  const raw = json as FileShape;
  const template = compilePathTemplate(raw.path);
  const params: Record<string, PathParamType> = Object.fromEntries(
    template.names.map((n) => [n, raw.params && Object.hasOwn(raw.params, n) ? raw.params[n]! : 'string']),
  );
  const query: Record<string, QueryParamDoc> = Object.fromEntries(
    Object.entries(raw.query ?? {}).map(([key, doc]): [string, QueryParamDoc] => [
      key,
      {
        type: doc.type,
        ...(doc.description !== undefined ? { description: doc.description } : {}),
        ...(doc.required !== undefined ? { required: doc.required } : {}),
      },
    ]),
  );
  const def: ApiDefinition = {
    name,
    method: raw.method,
    path: raw.path,
    description: raw.description,
    auth: raw.auth ?? true,
    params,
    query,
    ...(raw.body !== undefined ? { body: structuredClone(raw.body) } : {}),
    timeouts: definedOnly({
      connectMs: raw.connect_timeout_ms,
      headersMs: raw.headers_timeout_ms ?? raw.timeout_ms,
      bodyMs: raw.body_timeout_ms ?? raw.timeout_ms,
    }),
    retry: raw.retry === false ? { attempts: 1 } : definedOnly({ attempts: raw.retry?.attempts, budgetMs: raw.retry?.budget_ms }),
    template,
  };
  return deepFreeze(def);
}

/** The object without its undefined fields (exactOptionalPropertyTypes-friendly, and frozen cleanly). */
function definedOnly<T extends Record<string, number | undefined>>(o: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}

/** One zod issue -> [field, message] pairs in our wording (one pair per unknown key). */
function formatIssue(issue: z.core.$ZodIssue): [string | undefined, string][] {
  const field = issue.path.length > 0 ? formatPath(issue.path) : undefined;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = issue.path.length === 0 ? FIELDS : issue.path[0] === 'query' ? QUERY_DOC_FIELDS : issue.path[0] === 'retry' ? RETRY_FIELDS : [];
      return issue.keys.map((key) => [
        field ? `${field}.${key}` : key,
        `unknown field${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`,
      ]);
    }
    case 'invalid_value':
      if (issue.input === undefined) return [[field, 'required']];
      return [[field, `expected one of ${issue.values.map(String).join(', ')}, got ${describe(issue.input)}`]];
    case 'invalid_type':
      // JSON has no undefined: an undefined input is a missing field.
      if (issue.input === undefined) return [[field, 'required']];
      return [[field, `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${describe(issue.input)}`]];
    case 'too_small':
      if (issue.origin === 'number') return [[field, `must be at least ${String(issue.minimum)}, got ${describe(issue.input)}`]];
      return [[field, issue.message]];
    case 'too_big':
      if (issue.origin === 'number') return [[field, `must be at most ${String(issue.maximum)}, got ${describe(issue.input)}`]];
      return [[field, issue.message]];
    default:
      return [[field, issue.message]];
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** A short description of a JSON value for messages: its type, and the value when short. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length <= 40 ? JSON.stringify(value) : 'a long string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
