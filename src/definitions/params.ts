// Filling an API's `{param}` placeholders for one proxied request. Pure: no I/O.
//
// Sources, in order of precedence: positional path segments (/api/grade/7/A), a query
// parameter of the same name (?grade=A), a top-level field of a JSON object body. Values are
// decoded once here and encoded once by the template, so what the client percent-encoded
// arrives upstream as the same single segment (A%2FB stays A%2FB, never A/B or A%252FB).
import { MAX_STRING_PARAM_LENGTH, type ApiDefinition, type PathParamType } from './types.js';

export interface ParamSources {
  /** RAW (still percent-encoded) path segments after /api/<name>/; e.g. ['7', 'A%2FB']; [] if none. */
  segments: string[];
  /** Raw query string without the leading '?', '' if none. */
  rawQuery: string;
  /** Parsed JSON body, or undefined when there is none. */
  body: unknown;
}

export type ResolveResult =
  | { ok: true; path: string; forwardQuery: string }
  | { ok: false; message: string; param?: string };

type Failure = Extract<ResolveResult, { ok: false }>;

/** 18 digits always fit in a safe integer's neighbourhood and in a signed 64-bit id. */
const INTEGER_VALUE = /^[0-9]{1,18}$/;
/** C0 controls and DEL: CR/LF, NUL, tab... never belong in a path value. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * The rendered upstream path and the query to forward, or why the request is a 400.
 *
 * - A segment or query value that is empty counts as not given (the next source is tried).
 * - A parameter given twice (repeated query key, or positionally and in the query) is refused.
 * - Every query key and value must percent-decode (as UTF-8), for every API: the gateway
 *   forwards only what it can read, so an upstream cannot read something else into it.
 * - Query keys naming a placeholder are removed from forwardQuery; everything else in the
 *   query is forwarded byte-for-byte. Body fields are never removed.
 * - A value holding a control character (U+0000 to U+001F, U+007F) is refused, whatever
 *   its source: once decoded it could split a header or a log line upstream.
 */
export function resolveUpstreamPath(def: ApiDefinition, sources: ParamSources): ResolveResult {
  const names = def.template.names;
  const { segments, rawQuery, body } = sources;

  if (segments.length > names.length) {
    const takes = names.length === 0 ? 'takes no path parameters' : `takes at most ${names.length} (${names.map((n) => `{${n}}`).join('/')})`;
    return { ok: false, message: `too many path segments: API "${def.name}" ${takes}, got ${segments.length}` };
  }

  // Scan the query once: every part must decode; placeholder values are collected decoded
  // (and dropped from what is forwarded), the rest kept raw.
  const fromQuery = new Map<string, string[]>();
  const kept: string[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const key = formDecode(rawKey);
    if (key === undefined) {
      return { ok: false, message: `invalid percent-encoding in query parameter name ${quote(rawKey)}` };
    }
    const value = formDecode(eq === -1 ? '' : part.slice(eq + 1));
    if (value === undefined) {
      // The name only: the value may be a secret (?password=...).
      const message = `invalid percent-encoding in the value of query parameter ${quote(key)}`;
      return names.includes(key) ? fail(key, message) : { ok: false, message };
    }
    if (names.includes(key)) {
      const list = fromQuery.get(key) ?? [];
      list.push(value);
      fromQuery.set(key, list);
    } else {
      kept.push(part);
    }
  }
  if (names.length === 0) return { ok: true, path: def.template.render({}), forwardQuery: rawQuery };

  const values: Record<string, string> = {};
  for (const [index, name] of names.entries()) {
    const type: PathParamType = Object.hasOwn(def.params, name) ? def.params[name]! : 'string';
    const rawSegment = segments[index];
    const queryValues = fromQuery.get(name);

    if (queryValues && queryValues.length > 1) {
      return fail(name, `path parameter "${name}" is given more than once in the query`);
    }
    if (rawSegment !== undefined && rawSegment !== '' && queryValues) {
      return fail(name, `path parameter "${name}" is given both as a path segment and as a query parameter`);
    }

    let value: string | undefined;
    if (rawSegment !== undefined && rawSegment !== '') {
      value = percentDecode(rawSegment);
      if (value === undefined) return fail(name, `path parameter "${name}": invalid percent-encoding in path segment ${quote(rawSegment)}`);
    } else if (queryValues && queryValues[0] !== '') {
      value = queryValues[0];
    } else {
      const fromBody = bodyField(body, name, type);
      if (fromBody && !fromBody.ok) return fromBody;
      value = fromBody?.value;
    }

    if (value === undefined || value === '') {
      return fail(
        name,
        `missing path parameter "${name}": give it as a path segment (/api/${def.name}/${names.map((n) => `<${n}>`).join('/')}), ` +
          `as the query parameter "${name}", or as a field of the JSON body`,
      );
    }
    const problem = valueProblem(name, type, value);
    if (problem) return fail(name, problem);
    values[name] = value;
  }

  return { ok: true, path: def.template.render(values), forwardQuery: fromQuery.size === 0 ? rawQuery : kept.join('&') };
}

/** A body field as a path value: strings as they are, numbers as decimal. Absent -> undefined. */
function bodyField(body: unknown, name: string, type: PathParamType): { ok: true; value: string } | Failure | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Object.hasOwn(body, name)) return undefined;
  const field: unknown = (body as Record<string, unknown>)[name];
  if (typeof field === 'string') return { ok: true, value: field };
  if (typeof field === 'number') {
    if (type === 'integer' && !(Number.isSafeInteger(field) && field >= 0)) {
      return fail(name, `path parameter "${name}" must be a non-negative integer, got ${String(field)}`);
    }
    return { ok: true, value: String(field) };
  }
  const got = field === null ? 'null' : Array.isArray(field) ? 'an array' : typeof field;
  return fail(name, `path parameter "${name}": body field must be a string or a number, got ${got}`);
}

function valueProblem(name: string, type: PathParamType, value: string): string | undefined {
  if (value === '.' || value === '..') return `path parameter "${name}" must not be "." or ".."`;
  if (CONTROL_CHARACTER.test(value)) return `path parameter "${name}" must not contain control characters (U+0000 to U+001F, U+007F)`;
  if (type === 'integer') {
    return INTEGER_VALUE.test(value) ? undefined : `path parameter "${name}" must be a non-negative integer (1 to 18 digits), got ${quote(value)}`;
  }
  if (value.length > MAX_STRING_PARAM_LENGTH) return `path parameter "${name}" is longer than ${MAX_STRING_PARAM_LENGTH} characters`;
  // Only a JSON body string can hold a lone surrogate; decoded UTF-8 never does.
  if (/\p{Cs}/u.test(value)) return `path parameter "${name}" is not valid Unicode`;
  return undefined;
}

function fail(param: string, message: string): Failure {
  return { ok: false, message, param };
}

/** Percent-decoding of a path segment: `+` stays a plus. undefined when malformed or not UTF-8. */
export function percentDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** application/x-www-form-urlencoded decoding: `+` is a space. undefined when malformed. */
function formDecode(raw: string): string | undefined {
  return percentDecode(raw.replaceAll('+', ' '));
}

/** Echo client input in a message, bounded. */
function quote(raw: string): string {
  return JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}...` : raw);
}
