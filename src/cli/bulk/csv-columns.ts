// The CSV header of an export (pure). It is written before the first row and cannot grow
// afterwards, yet a streamed export only sees one page at a time: a field first seen on
// page 7 would need a column the header no longer can get. The header is therefore fixed
// once, from what is known before anything is written:
//   1. every field of the first page, in first-seen order (the API's own field order);
//   2. the fields of the `create` body schema not seen yet (an API that omits null
//      fields still gets a column for each documented one);
//   3. `_extra`: any later field without a column lands there as a JSON object.
// So the column order is stable for a given inventory and schema, the export stays one
// pass in constant memory, and no field is ever lost. The header is saved in the resume
// state so a resumed export writes the same columns.
import { EXTRA_COLUMN, flattenEntries } from './flatten.js';

export function chooseColumns(firstPage: readonly unknown[], schemaFields: readonly string[]): string[] {
  const seen = new Set<string>();
  const columns: string[] = [];
  const add = (column: string) => {
    if (column === '' || column === EXTRA_COLUMN || seen.has(column)) return;
    seen.add(column);
    columns.push(column);
  };
  for (const row of firstPage) for (const [path] of flattenEntries(row)) add(path);
  for (const field of schemaFields) add(field);
  columns.push(EXTRA_COLUMN);
  return columns;
}
