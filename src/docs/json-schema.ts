// A definition's body schema as an OpenAPI 3.1 document can carry it. Bodies are validated
// (ajv) as JSON Schema draft-07, while OpenAPI 3.1 schemas are 2020-12: the few draft-07
// constructs that differ are rewritten, so the document stays valid and Swagger UI builds
// the right example. Pure.

type Json = unknown;

/**
 * `schema` ready to be published at `location` (a JSON Pointer fragment such as
 * `#/components/schemas/create.body`):
 *  - local `$ref`s (`#/definitions/x`) are re-rooted at `location`: inside the document `#`
 *    is the document's root, not the schema's;
 *  - `$id` and `$schema` are dropped: two definitions may share an `$id`, which a single
 *    document cannot hold, and the dialect is the document's;
 *  - tuple `items: [...]` becomes `prefixItems`, and `additionalItems` becomes `items`.
 */
export function publishedSchema(schema: Json, location: string): Json {
  if (Array.isArray(schema)) return schema.map((item) => publishedSchema(item, location));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, Json> = {};
  const source = schema as Record<string, Json>;
  for (const [key, value] of Object.entries(source)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#')) out.$ref = `${location}${value.slice(1)}`;
    else if (key === 'items' && Array.isArray(value)) out.prefixItems = publishedSchema(value, location);
    else if (key === 'additionalItems' && Array.isArray(source.items)) out.items = publishedSchema(value, location);
    else if (key === 'additionalItems') continue; // ignored by draft-07 itself without tuple items
    else out[key] = publishedSchema(value, location);
  }
  return out;
}

/** Whether a schema refers to its own parts (`$ref: "#..."`): it then needs a place of its own in the document. */
export function hasLocalRef(schema: Json): boolean {
  if (Array.isArray(schema)) return schema.some(hasLocalRef);
  if (schema === null || typeof schema !== 'object') return false;
  return Object.entries(schema as Record<string, Json>).some(([key, value]) => (key === '$ref' && typeof value === 'string' && value.startsWith('#')) || hasLocalRef(value));
}
