// The result file of an import: one entry per input row, in input order, saying what became
// of it. Rewritten whole at the end of every run (from the journal and this run), so after
// a resumed import it covers the rows of every run. Written to a temporary file and renamed.
import { open, rename, rm } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';

/**
 * created: the asset exists (id; also when created by an earlier run or found by a lookup).
 * invalid: the row does not match the create schema; never sent.
 * failed: the gateway answered and nothing was created; a re-run sends it again.
 * in_doubt: it may or may not have been created; a re-run looks it up first (or it needs a manual check).
 * not_sent: the run stopped before reaching it.
 */
export type RowOutcome =
  | { status: 'created'; id: string | number | null }
  | { status: 'invalid' | 'failed' | 'in_doubt'; error: string }
  | { status: 'not_sent' };

export type ResultsFormat = 'csv' | 'jsonl';

const HEADER = ['line', 'status', 'id', 'error'];

/** Pure: one row of the result file. */
export function resultRecord(line: number, outcome: RowOutcome): { line: number; status: string; id: string | number | null; error: string | null } {
  return {
    line,
    status: outcome.status,
    id: outcome.status === 'created' ? outcome.id : null,
    error: 'error' in outcome ? outcome.error : null,
  };
}

export async function writeResults(file: string, format: ResultsFormat, outcomes: Iterable<readonly [number, RowOutcome]>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    let chunk = format === 'csv' ? stringify([HEADER]) : '';
    for (const [line, outcome] of outcomes) {
      const r = resultRecord(line, outcome);
      chunk += format === 'csv' ? stringify([[r.line, r.status, r.id ?? '', r.error ?? '']]) : `${JSON.stringify(r)}\n`;
      if (chunk.length > 64 * 1024) {
        await handle.write(chunk);
        chunk = '';
      }
    }
    await handle.write(chunk);
    await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}
