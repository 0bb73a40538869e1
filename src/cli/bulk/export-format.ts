// The text of an export, page by page (pure): CSV, JSON Lines, or one JSON array that is
// still valid JSON although it is written a page at a time ("[", rows joined by ",\n",
// "]" at the end). The formatter only needs the rows written so far (and the CSV columns)
// to carry on, so a resumed export continues the same text.
import { stringify } from 'csv-stringify/sync';
import { columnLayout, rowCells, type ColumnLayout } from './flatten.js';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function exportFormatOf(file: string): ExportFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

export class ExportFormatter {
  private layout: ColumnLayout | undefined;

  constructor(
    readonly format: ExportFormat,
    /** Rows already written (by an interrupted run, when resuming). */
    private rowsWritten = 0,
    columns?: readonly string[],
  ) {
    if (columns) this.layout = columnLayout(columns);
  }

  get rows(): number {
    return this.rowsWritten;
  }

  /** What opens the output: the CSV header (the columns are fixed from here on), or "[". */
  start(columns?: readonly string[]): string {
    if (this.format === 'json') return '[\n';
    if (this.format === 'csv') {
      if (!columns) throw new Error('a CSV export needs its columns to start');
      this.layout = columnLayout(columns);
      return stringify([columns]);
    }
    return '';
  }

  page(rows: readonly unknown[]): string {
    if (rows.length === 0) return '';
    let text: string;
    if (this.format === 'csv') {
      const layout = this.layout;
      if (!layout) throw new Error('start() must fix the CSV columns first');
      text = stringify(rows.map((row) => rowCells(row, layout)));
    } else if (this.format === 'jsonl') {
      text = rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    } else {
      text = (this.rowsWritten > 0 ? ',\n' : '') + rows.map((row) => JSON.stringify(row)).join(',\n');
    }
    this.rowsWritten += rows.length;
    return text;
  }

  /** What closes the output. */
  end(): string {
    if (this.format !== 'json') return '';
    return this.rowsWritten > 0 ? '\n]\n' : ']\n';
  }
}
