// Markdown API specifications -> definition files. Pure: text in, definitions and problems
// out; the command does the file I/O.
//
// An endpoint starts at a line naming it, then has labelled fields up to the next endpoint
// or heading:
//
//   /v1/asset/{id}                      the spec's own form: the path alone on a line
//   GET /v1/asset/{id}                  or method and path (such a line counts when fields follow)
//   ### GET /v1/asset/{id}              any heading level, `code` or **bold** allowed
//   ## get-asset-id: GET /v1/asset/{id} a heading may carry the API name,
//   ## GET /v1/asset/{id} (get-asset-id)   before or after the path
//   ## Get Asset By Id: GET /v1/asset/{id}   a title (not a name) before the method: the description's fallback
//   ## PUT https://api.evercycle.io/v1/pricebook/{id}   a full URL: its origin is dropped, as in URL:
//   ## Get an asset                     or a heading with a title, when a URL: field follows
//
// A heading that reads like an endpoint (an upper-case method word, a URL or a /path) or a
// block with endpoint fields (Method, Headers, Path/Query Parameters, Body) that gives no
// path is reported, never dropped without a word.
//
//   Method: GET                         also `- Method: GET`, `**Method:** GET`, `**Method**: GET`
//   URL: https://api.evercycle.io/v1/asset/{id}    (or Path:, Endpoint:, with or without a method)
//   Description: Get the Asset         (else the first paragraph after the heading, else the title)
//   Headers: Authorization, access-token           no Authorization/access-token: "auth": false
//   Path Parameters: id (number), grade (string)
//   Query Parameters: page_num, per_page (integer, required)   (a type after the last item only: all of them)
//   Body Fields: price (number)         also Body:, Request Body:
//   API Name: get-asset-id
//   Response: ...                       read and ignored, as are Example/Status Codes/Notes
//
// The list fields take items inline (comma or space separated: `id (number), grade (string)`),
// one per bullet (`- price (number, required) - New price`), or as a table with a name
// column and optional type, required and description columns (markdown-lists.ts). An item
// is required when marked `*` (`*password(string)`, `password*`) or `(…, required)`.
//
// Quirks of the spec's text (its markdown flattened) that are read as intended:
// - fields run together: `username(string) *password(string)Response: ...` is split before
//   a known label glued to the text in front of it (Method, URL, Description, Headers,
//   Body Fields, Body, Path Parameters, Query Parameters, Response; exactly so capitalised);
// - a lone `*` at the end of a line marks the first item of the next (`Body: *` / `username(string)`);
// - `Headers: Content-Type: application/json` (no token headers: a sign-in, "auth": false).
//
// Mapping: path parameter types number/integer/int/id -> "integer", string/str/text/uuid ->
// "string" (untyped: "string"). Query parameter types as in JSON Schema (untyped: "string").
// Body: an object schema with one property per field, the type when one is given (no
// constraint otherwise), `required` from the markers, and additionalProperties allowed: a
// field list in a spec documents what the API takes, and refusing an undocumented field
// would refuse calls Evercycle accepts. Names: --name-map, else the heading's or the
// `API Name:` field's, else derived from method and path (generate.ts).
import { DefinitionCollector, deriveApiName, type DefinitionFile, type GeneratedDefinition } from './generate.js';
import { BULLET, bodySchema, pathParamType, queryParamType, readListItems, stripEmphasis, type Line } from './markdown-lists.js';
import { compilePathTemplate, pathTemplateProblems } from './template.js';
import { HTTP_METHODS, type HttpMethod, type PathParamType, type QueryParamDoc } from './types.js';

export interface MarkdownProblem {
  /** 1-based line of the markdown text. */
  line: number;
  message: string;
}

export interface MarkdownResult {
  /** Every endpoint that made a valid definition, in document order. */
  definitions: GeneratedDefinition[];
  /** Everything that could not be read, or was read only in part; empty when the conversion is faithful. */
  problems: MarkdownProblem[];
}

export interface MarkdownOptions {
  /** Names by endpoint, `"GET /v1/asset/{id}"` -> `"get-asset-id"`; they win over any other name. */
  names?: ReadonlyMap<string, string>;
  /** Definitions already taken (earlier files of the same run): a name clash with them is reported. */
  collector?: DefinitionCollector;
  /** The text's file, for the definitions' `source` (`apis.md:12`; without it `line 12`). */
  file?: string;
}

type FieldKind = 'method' | 'url' | 'description' | 'headers' | 'body' | 'pathParams' | 'query' | 'name' | 'ignored';

/** Labels by field, matched case-insensitively at the start of a line. */
const LABELS: Record<FieldKind, string[]> = {
  method: ['method', 'http method', 'verb'],
  url: ['url', 'endpoint', 'path'],
  description: ['description', 'summary'],
  headers: ['headers', 'header', 'request headers'],
  body: ['body fields', 'body parameters', 'body params', 'request body', 'body', 'request json object'],
  pathParams: ['path parameters', 'path parameter', 'path params'],
  query: ['query parameters', 'query parameter', 'query params', 'query string', 'query'],
  name: ['api name'],
  ignored: ['response', 'responses', 'returns', 'response json object', 'response body', 'example', 'example request', 'example response', 'status codes', 'errors', 'notes', 'note'],
};
/** Labels recognised in the middle of a line (the spec's run-together fields), exactly so capitalised. */
const GLUED_LABELS = ['Method', 'URL', 'Description', 'Headers', 'Body Fields', 'Body', 'Path Parameters', 'Query Parameters', 'Response'];
const LIST_FIELDS: ReadonlySet<FieldKind> = new Set(['headers', 'body', 'pathParams', 'query', 'ignored']);
const ONE_LINE_FIELDS: ReadonlySet<FieldKind> = new Set(['method', 'url', 'name']);
/** How a field is named in messages. */
const FIELD_TITLES: Record<FieldKind, string> = {
  method: 'Method',
  url: 'URL',
  description: 'Description',
  headers: 'Headers',
  body: 'Body Fields',
  pathParams: 'Path Parameters',
  query: 'Query Parameters',
  name: 'API Name',
  ignored: 'Response',
};

const LABEL_TO_KIND = new Map<string, FieldKind>(Object.entries(LABELS).flatMap(([kind, labels]) => labels.map((l): [string, FieldKind] => [l, kind as FieldKind])));
const byLength = (a: string, b: string) => b.length - a.length;
const labelAlternation = [...LABEL_TO_KIND.keys()].sort(byLength).map((l) => l.replace(/ /g, '\\s+')).join('|');
// Optional bullet, optional emphasis, the label, the colon (inside or outside the emphasis).
const LEADING_LABEL = new RegExp(`^\\s*(?:[-*+]\\s+|\\d+[.)]\\s+)?(\\*\\*|__|\\*|_)?(${labelAlternation})\\1?\\s*:\\1?\\s*`, 'i');
// A heading that is only a label (`#### Path Parameters`, `### Body:`).
const HEADING_LABEL = new RegExp(`^(${labelAlternation})\\s*:?$`, 'i');
// Not preceded by a letter or digit, so `Content-Type:` or `grade_name` never split.
const GLUED_LABEL = new RegExp(`(?<![A-Za-z0-9])(${[...GLUED_LABELS].sort(byLength).join('|')}):`, 'g');

const METHOD = '(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)';
// A path (never `//`, so a URL's `//host` is not read as one), after an optional origin that is dropped.
const PATH = "(\\/(?!\\/)[^\\s()`*]+)";
const ORIGIN = '(?:[a-z][a-z0-9+.-]*:\\/\\/[^/\\s]*)?';
const NAME = '([a-z0-9][a-z0-9_-]*)';
const PLAIN_ENDPOINT = new RegExp(`^(?:${METHOD}\\s+)?${ORIGIN}${PATH}$`);
// `[name or title:] [METHOD] [origin]/path [(name)]`; a title has no `:`, `/`, `(` or `)`.
const HEADING_ENDPOINT = new RegExp(`^(?:([^:/()]*?[^\\s:/()])\\s*:\\s*)?(?:${METHOD}\\s+)?${ORIGIN}${PATH}(?:\\s+\\(\\s*${NAME}\\s*\\))?$`, 'i');
// A heading that reads like an endpoint: an upper-case method word, or a path.
const LOOKS_LIKE_ENDPOINT = /(?:^|[\s:`*])(?:(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b|[a-z][a-z0-9+.-]*:\/\/|\/[A-Za-z0-9{._~-])/;
const URL_VALUE = new RegExp(`^(?:${METHOD}\\s+)?(?:[a-z][a-z0-9+.-]*:\\/\\/[^/\\s]*)?(\\/[^\\s?#]*)(?:[?#]\\S*)?$`, 'i');
const ATX_HEADING = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;
const FENCE = /^\s{0,3}(```|~~~)/;

interface Field {
  kind: FieldKind;
  no: number;
  /** The label line was itself a list item (`- Body Fields:`). */
  bulleted: boolean;
  indent: number;
  lines: Line[];
}

interface Block {
  no: number;
  /** Set when the block starts at an endpoint line. */
  endpoint?: { method?: string; path: string; name?: string };
  /** The endpoint line is no heading: it counts only when fields follow (not a path in a flattened table or prose). */
  plain?: boolean;
  /** A heading's text, when the block starts at another heading. */
  title?: string;
  fields: Field[];
  /** Lines before the first field (the description, when there is no Description field). */
  prose: Line[];
}

/** Read every endpoint of one markdown text. */
export function definitionsFromMarkdown(text: string, options: MarkdownOptions = {}): MarkdownResult {
  const problems: MarkdownProblem[] = [];
  const collector = options.collector ?? new DefinitionCollector();
  const added: GeneratedDefinition[] = [];
  let endpoints = 0;

  const finish = (block: Block | undefined) => {
    if (!block) return;
    const built = buildDefinition(block, options, problems);
    if (built === 'not an endpoint') return;
    endpoints++;
    if (!built) return;
    const reasons = collector.add(built.definition);
    if (reasons.length > 0) {
      for (const reason of reasons) problems.push({ line: block.no, message: `${built.label}: skipped: ${reason}` });
    } else {
      added.push(built.definition);
    }
  };

  let block: Block | undefined;
  let field: Field | undefined;
  let inFence = false;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const no = index + 1;
    // Code blocks are examples: never read.
    if (FENCE.test(raw)) {
      inFence = !inFence;
      return;
    }
    if (inFence) return;

    const heading = ATX_HEADING.exec(raw);
    const found = heading ? headingEndpoint(heading[1]!) : plainEndpoint(raw);
    if (found) {
      finish(block);
      block = { no, endpoint: found.endpoint, ...(found.title !== undefined ? { title: found.title } : {}), ...(heading ? {} : { plain: true }), fields: [], prose: [] };
      field = undefined;
      return;
    }
    if (heading) {
      const label = HEADING_LABEL.exec(stripEmphasis(heading[1]!));
      if (block && label) {
        field = { kind: LABEL_TO_KIND.get(normalizeLabel(label[1]!))!, no, bulleted: false, indent: 0, lines: [] };
        block.fields.push(field);
        return;
      }
      finish(block);
      block = { no, title: stripEmphasis(heading[1]!), fields: [], prose: [] };
      field = undefined;
      return;
    }
    if (!block) return; // prose outside any endpoint

    if (raw.trim() === '') {
      // A blank line ends a one-line field once it has a value; lists and tables may follow their label after one.
      if (field && !LIST_FIELDS.has(field.kind) && field.lines.some((l) => l.text.trim() !== '')) field = undefined;
      if (field) field.lines.push({ no, text: '' });
      else if (block.fields.length === 0) block.prose.push({ no, text: '' });
      return;
    }
    if (field && LIST_FIELDS.has(field.kind) && isListItem(raw, field)) {
      field.lines.push({ no, text: raw });
      return;
    }
    for (const segment of splitLabels(raw)) {
      if (segment.kind) {
        field = { kind: segment.kind, no, bulleted: segment.bulleted, indent: segment.indent, lines: [{ no, text: segment.text }] };
        block.fields.push(field);
      } else if (field) {
        field.lines.push({ no, text: segment.text });
      } else if (block.fields.length === 0) {
        block.prose.push({ no, text: segment.text });
      }
      // Method, URL and API Name are one line: text after them is not theirs.
      if (field && ONE_LINE_FIELDS.has(field.kind) && field.lines.some((l) => l.text.trim() !== '')) field = undefined;
    }
  });
  finish(block);

  if (endpoints === 0) problems.push({ line: 1, message: 'no endpoint found (an endpoint starts at a line such as `/v1/asset/{id}` or `### GET /v1/asset/{id}`)' });
  problems.sort((a, b) => a.line - b.line);
  return { definitions: added, problems };
}

// ---- Lines ----

function plainEndpoint(raw: string): { endpoint: NonNullable<Block['endpoint']>; title?: string } | undefined {
  const m = PLAIN_ENDPOINT.exec(stripEmphasis(raw.trim()));
  return m ? { endpoint: { ...(m[1] ? { method: m[1] } : {}), path: m[2]! } } : undefined;
}

/** A heading's endpoint; what is before a colon is the API's name when it is one (`get-asset-id:`), else a title (`Get Asset By Id:`). */
function headingEndpoint(text: string): { endpoint: NonNullable<Block['endpoint']>; title?: string } | undefined {
  const m = HEADING_ENDPOINT.exec(stripEmphasis(text));
  if (!m) return undefined;
  const prefix = m[1]?.trim();
  const prefixIsName = prefix !== undefined && new RegExp(`^${NAME}$`, 'i').test(prefix);
  const name = (prefixIsName ? prefix : undefined) ?? m[4];
  return {
    endpoint: { ...(m[2] ? { method: m[2].toUpperCase() } : {}), path: m[3]!, ...(name ? { name: name.toLowerCase() } : {}) },
    ...(prefix !== undefined && !prefixIsName ? { title: prefix } : {}),
  };
}

/**
 * Whether a line under a list field is one of its items: a table row, or a bullet nested
 * below a bulleted label, or any other bullet that does not start with a capitalised or
 * emphasised label (`- Response: ...` ends the list, `- description: ...` is a field).
 */
function isListItem(raw: string, field: Field): boolean {
  if (raw.trim().startsWith('|')) return true;
  const bullet = BULLET.exec(raw);
  if (!bullet) return false;
  if (field.bulleted && bullet[1]!.length > field.indent) return true;
  const label = LEADING_LABEL.exec(raw);
  return !(label && (label[1] !== undefined || /^[A-Z]/.test(label[2]!)));
}

interface Segment {
  kind?: FieldKind;
  text: string;
  bulleted: boolean;
  indent: number;
}

/** One line as the text before any label (continuation) and each labelled field on it. */
function splitLabels(raw: string): Segment[] {
  const segments: Segment[] = [];
  let rest = raw;
  const leading = LEADING_LABEL.exec(raw);
  let current: Segment = { text: '', bulleted: false, indent: 0 };
  if (leading) {
    const bullet = BULLET.exec(raw);
    current = { kind: LABEL_TO_KIND.get(normalizeLabel(leading[2]!))!, text: '', bulleted: bullet !== null, indent: bullet ? bullet[1]!.length : 0 };
    rest = raw.slice(leading[0].length);
  }
  let last = 0;
  for (const m of rest.matchAll(GLUED_LABEL)) {
    current.text = rest.slice(last, m.index);
    if (current.kind || current.text.trim() !== '') segments.push(current);
    current = { kind: LABEL_TO_KIND.get(normalizeLabel(m[1]!))!, text: '', bulleted: false, indent: 0 };
    last = m.index + m[0].length;
  }
  current.text = rest.slice(last);
  segments.push(current);
  return segments;
}

function normalizeLabel(label: string): string {
  return label.toLowerCase().replace(/\s+/g, ' ');
}


// ---- Endpoints ----

function buildDefinition(block: Block, options: MarkdownOptions, problems: MarkdownProblem[]): { definition: GeneratedDefinition; label: string } | undefined | 'not an endpoint' {
  // Found before the endpoint's method is known: reported once it is, prefixed like the rest.
  const early: MarkdownProblem[] = [];
  const reportEarly = (prefix: string) => problems.push(...early.map((p) => ({ line: p.line, message: `${prefix}: ${p.message}` })));
  const fields = new Map<FieldKind, Field>();
  for (const f of block.fields) {
    if (f.kind === 'ignored') continue;
    const first = fields.get(f.kind);
    if (first) early.push({ line: f.no, message: `${FIELD_TITLES[f.kind]} given again (first at line ${first.no}); the first is used` });
    else fields.set(f.kind, f);
  }
  const single = (kind: FieldKind) => {
    const f = fields.get(kind);
    return f ? stripEmphasis(f.lines.map((l) => l.text).join(' ').replace(/\s+/g, ' ')) : undefined;
  };

  // A heading with a title is a section unless it has a URL; with a Method but no URL it is an endpoint without a path.
  let target: { method?: string; path: string } | undefined;
  const urlText = single('url');
  if (urlText !== undefined) {
    const m = URL_VALUE.exec(urlText);
    if (m) target = { ...(m[1] ? { method: m[1].toUpperCase() } : {}), path: m[2]! };
    else early.push({ line: fields.get('url')!.no, message: `URL: cannot read ${JSON.stringify(urlText)} (expected a URL or a path such as /v1/asset/{id})` });
  }
  if (block.plain && block.fields.length === 0) return 'not an endpoint';
  const path = block.endpoint?.path ?? target?.path;
  const at = block.no;
  if (!path) {
    // A section, unless its heading or its fields say it is an endpoint that could not be read.
    const endpointFields = (['method', 'pathParams', 'query', 'body', 'headers'] as const).filter((k) => fields.has(k));
    if (endpointFields.length === 0 && !LOOKS_LIKE_ENDPOINT.test(block.title ?? '')) return 'not an endpoint';
    if (!fields.has('method')) {
      reportEarly(`"${block.title ?? ''}"`);
      problems.push({
        line: at,
        message: `"${block.title ?? ''}": skipped: cannot read the heading as an endpoint (write it as \`## GET /v1/asset/{id}\`, \`## Title: GET /v1/asset/{id}\` or \`## name: GET /v1/asset/{id}\`, with a name of a-z, 0-9, _ and -; or add a URL: field)`,
      });
      return undefined;
    }
    reportEarly(`"${block.title ?? ''}"`);
    problems.push({ line: at, message: `"${block.title ?? ''}": skipped: no path (give it a heading such as \`GET /v1/asset/{id}\` or a URL: field)` });
    return undefined;
  }
  if (block.endpoint && target && target.path !== block.endpoint.path) {
    early.push({ line: fields.get('url')!.no, message: `URL path ${target.path} differs from the heading's; the heading's is used` });
  }

  // The method: the Method field, the heading and the URL field must agree.
  const methodText = single('method')?.toUpperCase();
  const stated = [methodText, block.endpoint?.method, target?.method].filter((m): m is string => m !== undefined);
  const method = stated[0];
  if (method === undefined) {
    reportEarly(path);
    problems.push({ line: at, message: `${path}: skipped: no Method (add a \`Method: GET\` line, or put the method in the heading)` });
    return undefined;
  }
  const label = `${method} ${path}`;
  reportEarly(label);
  if (stated.some((m) => m !== method)) problems.push({ line: at, message: `${label}: the method is given as ${[...new Set(stated)].join(' and ')}; ${method} is used` });
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    problems.push({ line: at, message: `${label}: skipped: method ${JSON.stringify(method)} is not one of ${HTTP_METHODS.join(', ')}` });
    return undefined;
  }
  const httpMethod = method as HttpMethod;
  const pathProblems = pathTemplateProblems(path);
  if (pathProblems.length > 0) {
    problems.push({ line: at, message: `${label}: skipped: path: ${pathProblems.join('; ')}` });
    return undefined;
  }

  const report = (line: number, message: string) => problems.push({ line, message: `${label}: ${message}` });
  const json: DefinitionFile = { method: httpMethod, path, description: '' };

  // The title names the API when it is a name (`## get-asset-id`), else it may describe it.
  const titleIsName = block.title !== undefined && /^[a-z0-9][a-z0-9_-]*$/.test(block.title);
  const description = single('description') || firstParagraph(block.prose) || (titleIsName ? undefined : block.title);
  if (description) {
    json.description = description;
  } else {
    json.description = label;
    report(at, `no Description; "${label}" is used`);
  }

  const headers = fields.get('headers');
  if (headers && !/\b(authorization|access-token)\b/i.test(headers.lines.map((l) => l.text).join(' '))) json.auth = false;

  const placeholders = compilePathTemplate(path).names;
  const pathParams = fields.get('pathParams');
  if (pathParams) {
    const params: Record<string, PathParamType> = {};
    for (const item of readListItems(pathParams.lines, FIELD_TITLES.pathParams, pathParams.no, report)) {
      if (!placeholders.includes(item.name)) {
        report(item.no, `Path Parameters: ${item.name} is not a placeholder of the path`);
        continue;
      }
      params[item.name] = pathParamType(item, report);
    }
    if (Object.keys(params).length > 0) json.params = params;
  }

  const queryField = fields.get('query');
  if (queryField) {
    const query: Record<string, QueryParamDoc> = {};
    for (const item of readListItems(queryField.lines, FIELD_TITLES.query, queryField.no, report)) {
      query[item.name] = {
        type: queryParamType(item, report),
        ...(item.description ? { description: item.description } : {}),
        ...(item.required ? { required: true } : {}),
      };
    }
    if (Object.keys(query).length > 0) json.query = query;
  }

  const bodyField = fields.get('body');
  if (bodyField) {
    const items = readListItems(bodyField.lines, FIELD_TITLES.body, bodyField.no, report);
    if (httpMethod === 'GET') report(bodyField.no, 'Body Fields of a GET endpoint are ignored (the gateway sends no body with a GET)');
    else if (items.length > 0) json.body = bodySchema(items, report);
  }

  const name = options.names?.get(label) ?? block.endpoint?.name ?? single('name') ?? (titleIsName ? block.title : undefined) ?? deriveApiName(httpMethod, path);
  return { definition: { name, json, source: options.file === undefined ? `line ${at}` : `${options.file}:${at}` }, label };
}

function firstParagraph(prose: Line[]): string | undefined {
  const start = prose.findIndex((l) => l.text.trim() !== '');
  if (start < 0) return undefined;
  const end = prose.findIndex((l, i) => i > start && l.text.trim() === '');
  return stripEmphasis(prose.slice(start, end < 0 ? undefined : end).map((l) => l.text.trim()).join(' '));
}
