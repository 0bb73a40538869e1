// The first pass of an import, before anything is sent: every row converted and validated
// against the create schema (invalid rows reported with line, field and message as they are
// found), and held against the journal of earlier runs: which rows are created already,
// which are in doubt, and whether the file still holds the rows the journal speaks of.
import type { BodyValidator } from '../../definitions/index.js';
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
  const errors = validate(result.body);
  if (errors.length === 0) return result;
  return { ok: false, problems: errors.map((e) => ({ field: pointerToField(e.field), message: `${e.message}${shownValue(result.body, pointerToField(e.field))}` })) };
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
  for await (const row of rows) {
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
