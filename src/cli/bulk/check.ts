// The first pass of an import, before anything is sent: every row converted and validated
// against the create schema (invalid rows reported with line, field and message as they are
// found), and held against the journal of earlier runs: which rows are created already,
// which are in doubt, and whether the file still holds the rows the journal speaks of.
import type { BodyValidator } from '../../definitions/index.js';
import { CliError } from '../errors.js';
import { pointerToField, type BodyResult, type FieldProblem } from './coerce.js';
import { isPlainObject } from './flatten.js';
import type { JournalReplay } from './journal-replay.js';
import type { RowOutcome } from './results.js';
import { bodyHash } from './row-hash.js';
import type { InputRow } from './rows.js';
import type { DoubtfulRow } from './verify.js';

export type RowJudgement = { ok: true; body: Record<string, unknown> } | { ok: false; problems: FieldProblem[] };

/** Pure: a converted row checked against the schema's validator. */
export function judgeRow(result: BodyResult, validate: BodyValidator): RowJudgement {
  if (!result.ok) return result;
  // The gateway refuses these keys anywhere in a body (prototype pollution): so does the check.
  const forbidden = forbiddenKey(result.body, '');
  if (forbidden !== undefined) return { ok: false, problems: [{ field: forbidden, message: 'this key is not allowed in a request body (the gateway refuses "__proto__", and "constructor" with a "prototype" key)' }] };
  const errors = validate(result.body);
  if (errors.length === 0) return result;
  return { ok: false, problems: errors.map((e) => ({ field: pointerToField(e.field), message: `${e.message}${shownValue(result.body, pointerToField(e.field))}` })) };
}

/** Pure: the dotted field of the first `__proto__` key, or `constructor` object with a `prototype` key, anywhere in the value. */
export function forbiddenKey(value: unknown, at: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = forbiddenKey(item, at === '' ? String(i) : `${at}.${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const field = at === '' ? key : `${at}.${key}`;
    const child = (value as Record<string, unknown>)[key];
    if (key === '__proto__') return field;
    if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) return `${field}.prototype`;
    const found = forbiddenKey(child, field);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** One line of the invalid-rows report. */
export function problemText(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field === '' ? '(row)' : p.field}: ${p.message}`).join('; ');
}

export interface CheckResult {
  /** Line of every row, in file order. */
  lines: number[];
  /** What is already known of a row: invalid, created by an earlier run, or in doubt with a lookup unclear. */
  outcomes: Map<number, RowOutcome>;
  valid: number;
  invalid: number;
  /** Rows an earlier run sent without a recorded answer: to look up before anything else. */
  doubtful: DoubtfulRow[];
  /** Valid rows not created yet. */
  toSend: number;
  /** Journal lines whose row is gone or different in the file. */
  changed: number[];
}

export async function checkRows(rows: AsyncIterable<InputRow>, validate: BodyValidator, journal: JournalReplay | undefined, report: (line: string) => void): Promise<CheckResult> {
  const result: CheckResult = { lines: [], outcomes: new Map(), valid: 0, invalid: 0, doubtful: [], toSend: 0, changed: [] };
  let journaledSeen = 0;
  const seen = new Set<number>();
  for await (const row of rows) {
    // The journal and the result file know rows by line: two rows on one line would be mixed up.
    if (seen.has(row.line)) throw new CliError(`line ${row.line} was read twice; the file cannot be imported safely (please report this)`, 2);
    seen.add(row.line);
    result.lines.push(row.line);
    const sent = journal?.lines.get(row.line);
    if (sent) journaledSeen++;
    const judged = judgeRow(row.result, validate);
    if (!judged.ok) {
      result.invalid++;
      const text = problemText(judged.problems);
      report(`line ${row.line}: ${text}`);
      result.outcomes.set(row.line, { status: 'invalid', error: text });
      if (sent) result.changed.push(row.line);
      continue;
    }
    result.valid++;
    if (sent && sent.hash !== bodyHash(judged.body)) result.changed.push(row.line);
    else if (sent?.status === 'created') result.outcomes.set(row.line, { status: 'created', id: sent.id ?? null });
    else if (sent?.status === 'in_doubt') result.doubtful.push({ line: row.line, body: judged.body, ...(sent.sentAt !== undefined && !Number.isNaN(sent.sentAt) && { sentAt: sent.sentAt }) });
    else result.toSend++;
  }
  if (journal && journaledSeen < journal.lines.size) {
    const present = new Set(result.lines);
    for (const line of journal.lines.keys()) if (!present.has(line)) result.changed.push(line);
  }
  result.changed.sort((a, b) => a - b);
  return result;
}

/** ` (got "twenty")` for a scalar value at a dotted field; the user's own data, shown to them, clipped. */
function shownValue(body: Record<string, unknown>, field: string): string {
  let node: unknown = body;
  for (const part of field === '' ? [] : field.split('.')) node = isPlainObject(node) ? node[part] : undefined;
  if (typeof node !== 'string' && typeof node !== 'number' && typeof node !== 'boolean') return '';
  const text = JSON.stringify(node);
  return ` (got ${text.length > 40 ? `${text.slice(0, 40)}..."` : text})`;
}
