// CSV records -> request bodies (pure). A CSV cell is text; the body schema says what JSON
// type each field must have, so a cell is converted only towards a type the schema allows:
// "2023" becomes 2023 for an integer field and stays "2023" for a string one. A cell that
// fits none of its types is kept as text, for the validator to report with its line and
// field. An empty cell means "absent" (CSV cannot tell null from empty).
import { EXTRA_COLUMN, isPlainObject, unflatten, UnflattenError } from './flatten.js';
import { typesAt, type JsonSchema } from './schema.js';

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value of one cell for a field of these types (undefined types: no schema, keep the text). */
export function coerceCell(text: string, types: readonly string[] | undefined): unknown {
  if (text === '') return undefined;
  if (!types || types.includes('string')) return text;
  if (types.includes('integer') && INTEGER.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  if (types.includes('number') && NUMBER.test(text)) return Number(text);
  if (types.includes('boolean')) {
    const lower = text.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
  }
  if (types.includes('object') || types.includes('array')) {
    const parsed = parseJson(text);
    if ((types.includes('object') && isPlainObject(parsed)) || (types.includes('array') && Array.isArray(parsed))) return parsed;
  }
  return text;
}

export interface FieldProblem {
  /** Dotted field path, as the CSV column names it ('' for the whole row). */
  field: string;
  message: string;
}

export type BodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; problems: FieldProblem[] };

/**
 * One CSV record (cells under `header`) as a request body: cells converted per the schema,
 * dotted columns nested, the `_extra` column's JSON object merged in.
 */
export function csvRecordToBody(header: readonly string[], cells: readonly string[], schema: JsonSchema | undefined): BodyResult {
  if (cells.length !== header.length) {
    return { ok: false, problems: [{ field: '', message: `has ${cells.length} fields, the header has ${header.length}` }] };
  }
  const entries: [string, unknown][] = [];
  for (let i = 0; i < header.length; i++) {
    const column = header[i]!;
    const text = cells[i]!;
    if (column === EXTRA_COLUMN) {
      if (text === '') continue;
      const extra = parseJson(text);
      if (!isPlainObject(extra)) return { ok: false, problems: [{ field: EXTRA_COLUMN, message: 'must be a JSON object of extra fields' }] };
      entries.push(...Object.entries(extra));
      continue;
    }
    const value = coerceCell(text, typesAt(schema, column));
    if (value !== undefined) entries.push([column, value]);
  }
  try {
    return { ok: true, body: unflatten(entries) };
  } catch (err) {
    if (err instanceof UnflattenError) return { ok: false, problems: [{ field: err.field, message: err.message }] };
    throw err;
  }
}

/** A JSON Lines line as a request body. */
export function jsonLineToBody(text: string): BodyResult {
  const parsed = parseJson(text);
  if (parsed === NOT_JSON) return { ok: false, problems: [{ field: '', message: 'is not valid JSON' }] };
  if (!isPlainObject(parsed)) return { ok: false, problems: [{ field: '', message: 'must be a JSON object' }] };
  return { ok: true, body: parsed };
}

/** An ajv JSON Pointer (`/location/city`) as the dotted field a CSV column names. */
export function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
