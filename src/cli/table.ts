// Plain-text tables for terminals: columns padded to their widest cell, two spaces apart.
// Given a width (a terminal's), the rightmost columns are shortened first, cells cut with
// an ellipsis, so each row stays on one line.

export interface TableOptions {
  /** Fit each line in this many characters; undefined: never cut (output piped to a file or a program). */
  width?: number | undefined;
}

const GAP = '  ';
/** A column is never cut below this (or its header's length). */
const MIN_COLUMN = 8;

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string {
  // Control characters (newlines, escape sequences) would break the layout or drive the terminal.
  const all = [header, ...rows].map((row) => row.map((cell) => cell.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')));
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  if (options.width !== undefined) {
    let excess = widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1) - options.width;
    for (let c = widths.length - 1; c >= 0 && excess > 0; c--) {
      const floor = Math.max(MIN_COLUMN, header[c]!.length);
      const cut = Math.min(excess, widths[c]! - floor);
      if (cut > 0) {
        widths[c] = widths[c]! - cut;
        excess -= cut;
      }
    }
  }
  const lines = all.map((row) =>
    widths
      .map((width, c) => {
        const cell = fit(row[c] ?? '', width);
        return c === widths.length - 1 ? cell : cell.padEnd(width);
      })
      .join(GAP)
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

function fit(cell: string, width: number): string {
  return cell.length <= width ? cell : `${cell.slice(0, Math.max(0, width - 1))}…`;
}
