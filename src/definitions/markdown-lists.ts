// The list fields of a markdown API specification (Headers, Path Parameters, Query
// Parameters, Body Fields): their items, written inline (`id (number), grade (string)`,
// `*username(string) *password(string)`), one per bullet (`- price (number, required) - New
// price`) or as a table (a name column; type, required and description columns optional),
// and what an item's type word maps to in a definition file. Pure.
//
// Inline, a type given only after the last item of a list applies to every item of it
// (`page_num, per_page (integer)`: both integers); `(required)` and the rest stay the last's.
import type { PathParamType, QueryParamDoc } from './types.js';

/** A line of the markdown text: its 1-based number and its text. */
export interface Line {
  no: number;
  text: string;
}

/** A list item line: indentation, then `-`, `*`, `+` or `1.`, then the item. */
export const BULLET = /^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$/;

/** Without `code` and strong-emphasis markers (two asterisks or underscores), trimmed. */
export function stripEmphasis(text: string): string {
  return text.replace(/`/g, '').replace(/\*\*|__/g, '').trim();
}

export interface ListItem {
  name: string;
  /** The type word as written, lower case (`number` of `id (number)`). */
  type?: string;
  /** Marked `*`, or `required` among the words in parentheses or the table's required column. */
  required: boolean;
  /** `nullable` among the words in parentheses. */
  nullable: boolean;
  description?: string;
  /** Its line. */
  no: number;
  /** The field the item is in, for messages. */
  field: string;
}

/** Reports a problem at a line of the markdown. */
export type Report = (line: number, message: string) => void;

const ITEM_NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
// `*name(type)`, `* name (type)`, `name* (type)`, followed by a comma, semicolon or space.
const INLINE_ITEM = new RegExp(`\\s*(\\*\\s*)?(${ITEM_NAME})(\\*)?\\s*(?:\\(([^()]*)\\))?\\s*[,;]?`, 'y');
// `name (type, required) - description`; the separator before the description: - – — or :.
const BULLET_ITEM = new RegExp(`^(\\*)?(${ITEM_NAME})(\\*)?\\s*(?:\\(([^()]*)\\))?\\s*(?:(?:[-–—:])\\s*(.*))?$`);

/**
 * The items of a list field: `lines` are its lines (the label line's value first), `title`
 * names it in messages, `labelLine` is where it starts. Every unreadable part is reported;
 * duplicates are reported and dropped.
 */
export function readListItems(lines: readonly Line[], title: string, labelLine: number, report: Report): ListItem[] {
  const items: ListItem[] = [];
  let unreadable = 0;
  const reportUnreadable: Report = (line, message) => {
    unreadable++;
    report(line, message);
  };
  let run: Line[] = [];
  // The current table's columns, from its header row; undefined outside a table.
  let table: TableColumns | undefined;
  const flushRun = () => {
    if (run.length > 0) items.push(...inlineItems(run, title, reportUnreadable));
    run = [];
  };
  for (const line of lines) {
    const text = line.text.trim();
    if (!text.startsWith('|')) table = undefined;
    if (text === '') {
      flushRun();
      continue;
    }
    if (text.startsWith('|')) {
      flushRun();
      const cells = tableCells(text);
      if (!table) table = tableColumns(cells);
      else if (!cells.every((c) => /^:?-+:?$/.test(c))) {
        const item = tableItem(cells, table, line.no, title, reportUnreadable);
        if (item) items.push(item);
      }
      continue;
    }
    const bullet = BULLET.exec(text);
    if (bullet) {
      flushRun();
      const m = BULLET_ITEM.exec(cleanItemText(bullet[2]!));
      if (m) items.push(makeItem(m[2]!, m[1] ?? m[3], m[4], m[5], line.no, title));
      else items.push(...inlineItems([{ no: line.no, text: bullet[2]! }], title, reportUnreadable));
      continue;
    }
    run.push(line);
  }
  flushRun();
  if (items.length === 0 && unreadable === 0) report(labelLine, `${title}: nothing listed (code blocks are examples and are not read)`);

  const seen = new Set<string>();
  return items.filter((item) => {
    if (!seen.has(item.name)) return seen.add(item.name);
    report(item.no, `${title}: ${item.name} is listed twice; the first is used`);
    return false;
  });
}

/** Comma- or space-separated items; a run of lines is read as one text, so a `*` at a line end marks the next line's first item. */
function inlineItems(lines: Line[], title: string, report: Report): ListItem[] {
  const text = cleanItemText(lines.map((l) => l.text.trim()).join(' '));
  const no = lines[0]!.no;
  const items: ListItem[] = [];
  INLINE_ITEM.lastIndex = 0;
  while (INLINE_ITEM.lastIndex < text.length) {
    const start = INLINE_ITEM.lastIndex;
    const m = INLINE_ITEM.exec(text);
    if (!m || m[0].length === 0) {
      const rest = text.slice(start).trim();
      if (rest !== '' && rest !== '*') report(no, `${title}: cannot read ${JSON.stringify(clip(rest))}`);
      break;
    }
    items.push(makeItem(m[2]!, m[1] ?? m[3], m[4], undefined, no, title));
  }
  // `page_num, per_page (integer)`: a type after the last item, none on the others, is the type of them all.
  const last = items[items.length - 1];
  if (items.length > 1 && last?.type !== undefined && items.slice(0, -1).every((i) => i.type === undefined)) {
    for (const item of items) item.type = last.type;
  }
  return items;
}

function makeItem(name: string, star: string | undefined, annotation: string | undefined, description: string | undefined, no: number, field: string): ListItem {
  const words = (annotation ?? '').toLowerCase().split(/[\s,;/|]+/).filter((w) => w !== '');
  const flags = new Set(['required', 'mandatory', 'optional', 'nullable']);
  const type = words.find((w) => !flags.has(w));
  const desc = description?.trim();
  return {
    name,
    ...(type ? { type } : {}),
    required: star !== undefined || words.includes('required') || words.includes('mandatory'),
    nullable: words.includes('nullable'),
    ...(desc ? { description: desc } : {}),
    no,
    field,
  };
}

/** Without markdown decoration around names and types: `code`, **strong**, `*(string)*`. */
function cleanItemText(text: string): string {
  return text.replace(/`/g, '').replace(/\*\*/g, '').replace(/\*\(/g, '(').replace(/\)\*/g, ')').trim();
}

interface TableColumns {
  name: number;
  type?: number;
  required?: number;
  description?: number;
}

function tableCells(row: string): string[] {
  return row
    .replace(/^\|/, '')
    .replace(/\|\s*$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function tableColumns(header: string[]): TableColumns {
  const find = (re: RegExp) => {
    const i = header.findIndex((h) => re.test(stripEmphasis(h)));
    return i < 0 ? undefined : i;
  };
  return {
    name: find(/^(name|field|parameter|param|key|header|property)s?$/i) ?? 0,
    type: find(/^(type|data type)$/i),
    required: find(/^(required|req\.?|mandatory)$/i),
    description: find(/^(description|desc|notes?|meaning)$/i),
  };
}

function tableItem(cells: string[], columns: TableColumns, no: number, title: string, report: Report): ListItem | undefined {
  const cell = (i: number | undefined) => (i === undefined ? '' : stripEmphasis(cells[i] ?? ''));
  const nameCell = cleanItemText(cell(columns.name));
  const m = new RegExp(`^(\\*)?(${ITEM_NAME})(\\*)?$`).exec(nameCell);
  if (!m) {
    report(no, `${title}: cannot read the table row's name ${JSON.stringify(clip(nameCell))}`);
    return undefined;
  }
  const requiredCell = cell(columns.required).toLowerCase();
  const required = /^(yes|y|true|required|mandatory|x|\*|✓|✔)$/.test(requiredCell);
  const annotation = [cell(columns.type), required ? 'required' : ''].filter((s) => s !== '').join(', ');
  return makeItem(m[2]!, m[1] ?? m[3], annotation, cell(columns.description) || undefined, no, title);
}

// ---- Types ----

// A path parameter that is a number is an id: "integer" (the gateway refuses 1.5 or -1 for it).
const PATH_PARAM_TYPE_WORDS: Record<string, PathParamType> = {
  integer: 'integer', int: 'integer', number: 'integer', long: 'integer', id: 'integer',
  string: 'string', str: 'string', text: 'string', uuid: 'string', slug: 'string',
};
const QUERY_TYPE_WORDS: Record<string, QueryParamDoc['type']> = {
  integer: 'integer', int: 'integer', long: 'integer',
  number: 'number', float: 'number', double: 'number', decimal: 'number',
  string: 'string', str: 'string', text: 'string', date: 'string', datetime: 'string', uuid: 'string', email: 'string',
  boolean: 'boolean', bool: 'boolean',
};
const BODY_TYPE_WORDS: Record<string, string> = {
  ...QUERY_TYPE_WORDS,
  array: 'array', list: 'array',
  object: 'object', dict: 'object', map: 'object', json: 'object',
};

/** A path parameter's type: untyped is "string", an unknown type word is reported and "string". */
export function pathParamType(item: ListItem, report: Report): PathParamType {
  if (item.type === undefined) return 'string';
  const type = PATH_PARAM_TYPE_WORDS[item.type];
  if (type) return type;
  report(item.no, `${item.field}: ${item.name}: type ${JSON.stringify(item.type)} is neither a number nor a string; "string" is used`);
  return 'string';
}

/** A query parameter's documented type: untyped is "string", an unknown type word is reported and "string". */
export function queryParamType(item: ListItem, report: Report): QueryParamDoc['type'] {
  if (item.type === undefined) return 'string';
  const type = QUERY_TYPE_WORDS[item.type];
  if (type) return type;
  report(item.no, `${item.field}: ${item.name}: unknown type ${JSON.stringify(item.type)}; "string" is used`);
  return 'string';
}

/**
 * The body's JSON Schema: an object with one property per item (its type when given, else
 * any value), `required` from the markers, and other properties allowed: a field list in a
 * spec documents what the API takes, and refusing an unlisted field would refuse calls
 * Evercycle accepts.
 */
export function bodySchema(items: ListItem[], report: Report): Record<string, unknown> {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const property: Record<string, unknown> = {};
    if (item.type !== undefined) {
      const type = BODY_TYPE_WORDS[item.type];
      if (type) property.type = item.nullable ? [type, 'null'] : type;
      else report(item.no, `${item.field}: ${item.name}: unknown type ${JSON.stringify(item.type)}; any value is accepted`);
    }
    if (item.description) property.description = item.description;
    properties[item.name] = property;
  }
  const required = items.filter((i) => i.required).map((i) => i.name);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: true };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
