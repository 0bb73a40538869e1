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
