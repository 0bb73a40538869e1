// Checking that a definition's `body` is a JSON Schema ajv 8 can compile.
import { Ajv } from 'ajv';

/**
 * A fresh ajv instance with the options body schemas are checked with. Strict mode turns
 * typos in keywords (`"requird"`) and unknown formats into errors instead of silently
 * ignoring them; union types (`["string", "null"]`) are allowed because nullable fields
 * are common upstream. A new instance per call: ajv caches schemas by `$id`, and the
 * definitions module keeps no state between calls.
 */
export function createBodySchemaAjv(): Ajv {
  return new Ajv({ strict: true, allowUnionTypes: true, allErrors: true, logger: false });
}

/** Problems compiling `schema` (empty when it compiles). ajv stops at the first problem. */
export function bodySchemaProblems(schema: Record<string, unknown>): string[] {
  try {
    createBodySchemaAjv().compile(schema);
    return [];
  } catch (err) {
    return [`not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`];
  }
}

/** One way a request body fails its schema: `field` is a JSON Pointer ("" is the body itself). */
export interface BodyFieldError {
  field: string;
  message: string;
}

/** Checks a parsed request body (undefined: the request had none); [] when it conforms. */
export type BodyValidator = (body: unknown) => BodyFieldError[];

/** At most this many field errors are reported: a body of 100 000 wrong fields gets a short answer. */
export const MAX_BODY_ERRORS = 50;
const MAX_FIELD_LENGTH = 200;

/**
 * Compile a definition's body schema once into a validator. The schema was already checked
 * by bodySchemaProblems when the definition was loaded, so this does not throw for a
 * loaded definition. ajv is used without coercion, defaults or property removal: the
 * body is only judged, never changed (the raw bytes are what is forwarded).
 *
 * No body at all is not judged against `type`: it is refused only when the schema lists
 * top-level `required` fields (each is reported missing); otherwise it is forwarded, as the
 * upstream may accept an empty request.
 */
export function compileBodyValidator(schema: Record<string, unknown>): BodyValidator {
  // A fresh instance per schema: two definitions may share an `$id`.
  const validate = createBodySchemaAjv().compile(schema);
  const required = Array.isArray(schema.required) ? schema.required.filter((f): f is string => typeof f === 'string') : [];
  return (body) => {
    if (body === undefined) {
      return required.slice(0, MAX_BODY_ERRORS).map((name) => ({ field: pointer('', name), message: `must have required property '${name}'` }));
    }
    if (validate(body)) return [];
    const seen = new Set<string>();
    const out: BodyFieldError[] = [];
    for (const e of validate.errors ?? []) {
      const params = e.params as { missingProperty?: unknown; additionalProperty?: unknown };
      const child = typeof params.missingProperty === 'string' ? params.missingProperty : typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
      const field = clip(child === undefined ? e.instancePath : pointer(e.instancePath, child));
      const message = e.message ?? 'is invalid';
      const key = `${field}\n${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ field, message });
    }
    return out;
  };
}

/** A JSON Pointer to `name` under `parent` (RFC 6901 escaping of `~` and `/`). */
function pointer(parent: string, name: string): string {
  return `${parent}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** Field names come from the client's keys: bounded in what we echo. */
function clip(field: string): string {
  return field.length > MAX_FIELD_LENGTH ? `${field.slice(0, MAX_FIELD_LENGTH)}...` : field;
}
