// Nested JSON objects <-> flat CSV records (pure). A nested field becomes a dotted column
// (`location.city`); an array, or an empty object, stays one cell holding JSON text.
// Keys that themselves contain a dot cannot be told apart from nesting: `{"a.b":1}` and
// `{"a":{"b":1}}` flatten alike and unflatten to the second.

/** The last CSV column: fields a row has but the header (fixed by the first page) lacks, as one JSON object. */
export const EXTRA_COLUMN = '_extra';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every leaf of `value` as [dotted path, leaf], in key order. Arrays and empty objects are leaves. */
export function flattenEntries(value: unknown, prefix = ''): [string, unknown][] {
  if (!isPlainObject(value) || (Object.keys(value).length === 0 && prefix !== '')) return [[prefix, value]];
  const out: [string, unknown][] = [];
  for (const [key, child] of Object.entries(value)) out.push(...flattenEntries(child, prefix === '' ? key : `${prefix}.${key}`));
  return out;
}

/** Text of one CSV cell: '' for null or absent, JSON text for arrays and objects. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A fixed header and how to lay any row out under it. */
export interface ColumnLayout {
  readonly columns: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Every proper prefix of a dotted column: `a` and `a.b` for `a.b.c`. */
  readonly prefixes: ReadonlySet<string>;
}

export function columnLayout(columns: readonly string[]): ColumnLayout {
  const prefixes = new Set<string>();
  for (const column of columns) {
    const parts = column.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
  }
  return { columns, index: new Map(columns.map((c, i) => [c, i])), prefixes };
}

/**
 * One row's cells under a fixed header. A field goes to its own column; an object is
 * walked into when some column lies below it, else written whole as JSON into its column;
 * anything with no column at all is gathered into the `_extra` column (when the header has
 * it) as `{"dotted.path": value}`, so no field is ever dropped silently.
 */
export function rowCells(row: unknown, layout: ColumnLayout): string[] {
  const cells: string[] = new Array<string>(layout.columns.length).fill('');
  const extra: Record<string, unknown> = {};
  const walk = (value: unknown, path: string): void => {
    // A null object whose fields have columns: those cells stay empty, as for any null.
    if (value === null && layout.prefixes.has(path) && !layout.index.has(path)) return;
    if (isPlainObject(value) && (path === '' || layout.prefixes.has(path)) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    const at = layout.index.get(path);
    if (at !== undefined && path !== EXTRA_COLUMN) cells[at] = cellText(value);
    else if (value !== undefined) extra[path] = value;
  };
  walk(row, '');
  const extraAt = layout.index.get(EXTRA_COLUMN);
  if (extraAt !== undefined && Object.keys(extra).length > 0) cells[extraAt] = JSON.stringify(extra);
  return cells;
}

/** Why a flat record cannot be nested: two columns claim the same place. */
export class UnflattenError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/**
 * The nested object of flat [dotted path, value] pairs (values already converted).
 * Throws UnflattenError when one path is both a value and a parent (`a` and `a.b` both set).
 */
export function unflatten(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of entries) {
    const parts = path.split('.');
    let node: Record<string, unknown> = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i]!;
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === undefined) {
        const child: Record<string, unknown> = {};
        defineField(node, key, child);
        node = child;
      } else if (isPlainObject(next)) {
        node = next;
      } else {
        throw new UnflattenError(path, `conflicts with column ${parts.slice(0, i + 1).join('.')}`);
      }
    }
    const leaf = parts[parts.length - 1]!;
    if (Object.hasOwn(node, leaf)) throw new UnflattenError(path, 'is given twice (or conflicts with a nested column)');
    defineField(node, leaf, value);
  }
  return out;
}

/** Own data property even for `__proto__`, so a column name can never reach a prototype. */
function defineField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
