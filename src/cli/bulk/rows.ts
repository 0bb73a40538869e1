// Reading the rows of an import file, streamed (CSV with a header row, or JSON Lines), each
// with the line it starts on and its request body or what is wrong with it. A structural
// problem that makes the rest of the file unreadable (an unclosed quote, a bad header) is
// a CliError (exit 2); a row that merely does not convert is returned with its problems.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CsvError, parse } from 'csv-parse';
import { CliError } from '../errors.js';
import { csvRecordToBody, jsonLineToBody, type BodyResult } from './coerce.js';
import type { JsonSchema } from './schema.js';

export type InputFormat = 'csv' | 'jsonl';

export interface InputRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  result: BodyResult;
}

export function inputFormatOf(file: string): InputFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

export function readRows(file: string, format: InputFormat, schema: JsonSchema | undefined): AsyncGenerator<InputRow> {
  return format === 'csv' ? readCsvRows(file, schema) : readJsonLines(file);
}

async function* readCsvRows(file: string, schema: JsonSchema | undefined): AsyncGenerator<InputRow> {
  // Every line break ends a record, whichever kind (CRLF, LF, CR, mixed in one file: a CSV
  // saved by Excel with a line added by `echo >>`). Empty lines are kept as records so the
  // raw text of the records covers the whole file: the line a record starts on is 1 plus
  // the line breaks of every record before it, quoted newlines included.
  const parser = createReadStream(file).pipe(parse({ bom: true, raw: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] }));
  let header: string[] | undefined;
  let line = 1;
  try {
    for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      const start = line;
      line += countLineBreaks(raw);
      if (record.length === 1 && record[0] === '' && raw.replace(/[\r\n]/g, '') === '') continue;
      if (!header) {
        header = checkHeader(record, start);
        continue;
      }
      yield { line: start, result: csvRecordToBody(header, record, schema) };
    }
  } catch (err) {
    if (err instanceof CsvError) throw new CliError(`${file}: not readable as CSV: ${err.message}`, 2);
    throw inputError(file, err);
  }
  if (!header) throw new CliError(`${file}: empty file: a CSV import needs a header row naming the fields`, 2);
}

async function* readJsonLines(file: string): AsyncGenerator<InputRow> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      yield { line, result: jsonLineToBody(text) };
    }
  } catch (err) {
    throw inputError(file, err);
  } finally {
    lines.close();
  }
}

function checkHeader(record: string[], line: number): string[] {
  const header = record.map((c) => c.trim());
  const seen = new Set<string>();
  for (const column of header) {
    if (column === '') throw new CliError(`line ${line}: the header row has an empty column name`, 2);
    if (seen.has(column)) throw new CliError(`line ${line}: the header row names column '${column}' twice`, 2);
    seen.add(column);
  }
  return header;
}

/** Line breaks in a record's raw text: CRLF, LF and CR each count once (csv-parse keeps one character of the delimiter). */
export function countLineBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}

function inputError(file: string, err: unknown): Error {
  if (err instanceof CliError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new CliError(`cannot read ${file}: ${code ?? (err as Error).message}`, 2);
}
