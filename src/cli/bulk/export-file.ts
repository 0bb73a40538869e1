// Where an export's text goes. To a file: into FILE.partial, a page at a time, each page
// flushed to disk before FILE.resume.json records it (pages done, rows, bytes, CSV
// columns), so the state never claims more than the partial file holds; at the end the
// partial file is renamed to FILE and the state removed. A resumed export cuts the partial
// file back to the recorded size (dropping a page that was half written when the process
// died) and carries on from the next page. To stdout: streamed, nothing to resume.
import { open, rename, rm, readFile, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writePrivateFile } from '../../private-file.js';
import { CliError } from '../errors.js';
import { EXPORT_FORMATS, type ExportFormat } from './export-format.js';

export interface ExportState {
  version: 1;
  api: string;
  format: ExportFormat;
  per_page: number;
  /** Absolute path of the final file. */
  out: string;
  pages_done: number;
  rows_done: number;
  /** Size of the partial file after the last page recorded. */
  bytes: number;
  columns?: string[];
  total?: number;
  updated_at: string;
}

export const partialPathOf = (out: string): string => `${out}.partial`;
export const statePathOf = (out: string): string => `${out}.resume.json`;

/** The resume state of an export to `out`; undefined when there is none. */
export async function readExportState(out: string): Promise<ExportState | undefined> {
  const file = statePathOf(out);
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
  const state = parseState(text);
  if (!state) throw new CliError(`${file} is not a resume state this command wrote; delete it (and ${partialPathOf(out)}) to start over`, 2);
  return state;
}

/** Pure: a state file's content, or undefined when it is not one. */
export function parseState(text: string): ExportState | undefined {
  let s: Partial<ExportState>;
  try {
    s = JSON.parse(text) as Partial<ExportState>;
  } catch {
    return undefined;
  }
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    typeof s.api === 'string' &&
    EXPORT_FORMATS.includes(s.format as ExportFormat) &&
    count(s.per_page) &&
    typeof s.out === 'string' &&
    count(s.pages_done) &&
    count(s.rows_done) &&
    count(s.bytes) &&
    (s.columns === undefined || (Array.isArray(s.columns) && s.columns.every((c) => typeof c === 'string')));
  return ok ? (s as ExportState) : undefined;
}

/** Pure: why the state cannot be continued with these options, or undefined. Only options given explicitly count. */
export function resumeMismatch(state: ExportState, wanted: { api: string; out: string; format?: ExportFormat; perPage?: number }): string | undefined {
  if (state.api !== wanted.api) return `it is an export of ${state.api}, not ${wanted.api}`;
  if (path.resolve(state.out) !== path.resolve(wanted.out)) return `it was an export to ${state.out}`;
  if (wanted.format !== undefined && wanted.format !== state.format) return `it is in format ${state.format}, not ${wanted.format}`;
  if (wanted.perPage !== undefined && wanted.perPage !== state.per_page) return `it reads ${state.per_page} assets per page, not ${wanted.perPage} (pages would not line up)`;
  if (state.format === 'csv' && !state.columns) return 'it has no CSV columns recorded';
  return undefined;
}

/** Where the text of the export goes, a page at a time. */
export interface ExportTarget {
  /** Write one page's text; `state` (without bytes) is what the export has done once it is written. */
  writePage(text: string, state: Omit<ExportState, 'bytes' | 'updated_at'>): Promise<void>;
  /** Write the closing text and make the output final. */
  finish(text: string): Promise<void>;
  /** Stop without finishing (the partial file and state stay for --resume). */
  close(): Promise<void>;
}

export class FileTarget implements ExportTarget {
  private constructor(
    private readonly out: string,
    private readonly handle: FileHandle,
    private bytes: number,
  ) {}

  /** A new partial file (an existing one is replaced: the caller decided to start over). */
  static async create(out: string): Promise<FileTarget> {
    await rm(statePathOf(out), { force: true });
    const handle = await openFile(partialPathOf(out), 'w');
    return new FileTarget(out, handle, 0);
  }

  /** The partial file of `state`, cut back to what the state records. */
  static async reopen(out: string, state: ExportState): Promise<FileTarget> {
    const partial = partialPathOf(out);
    const size = await stat(partial).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) throw new CliError(`cannot resume: ${partial} is missing; delete ${statePathOf(out)} to start over`, 2);
    if (size < state.bytes) throw new CliError(`cannot resume: ${partial} is shorter (${size} bytes) than recorded (${state.bytes}); delete it and ${statePathOf(out)} to start over`, 2);
    const handle = await openFile(partial, 'r+');
    await handle.truncate(state.bytes);
    return new FileTarget(out, handle, state.bytes);
  }

  async writePage(text: string, state: Omit<ExportState, 'bytes' | 'updated_at'>): Promise<void> {
    await this.write(text);
    await writePrivateFile(statePathOf(this.out), `${JSON.stringify({ ...state, bytes: this.bytes, updated_at: new Date().toISOString() })}\n`);
  }

  async finish(text: string): Promise<void> {
    await this.write(text);
    await this.handle.close();
    await rename(partialPathOf(this.out), this.out);
    await rm(statePathOf(this.out), { force: true });
  }

  close(): Promise<void> {
    return this.handle.close().catch(() => {});
  }

  /** Written at the recorded end and flushed to disk before any state may mention it. */
  private async write(text: string): Promise<void> {
    if (text === '') return;
    const data = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, this.bytes + written);
      written += bytesWritten;
    }
    this.bytes += data.length;
    await this.handle.datasync();
  }
}

export class StdoutTarget implements ExportTarget {
  private broken = false;
  private failure: NodeJS.ErrnoException | undefined;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    // A reader that went away (`| head`) ends the export quietly; any other write error
    // (a full disk, a broken mount behind `> FILE`) fails the export.
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.broken = true;
      else this.failure ??= err;
    });
  }

  get closedByReader(): boolean {
    return this.broken;
  }

  writePage(text: string): Promise<void> {
    return this.write(text);
  }

  finish(text: string): Promise<void> {
    return this.write(text);
  }

  async close(): Promise<void> {}

  /** Resolves once the text is handed to the system (so an error is known before anything claims success). */
  private write(text: string): Promise<void> {
    if (this.failure) return Promise.reject(writeFailed(this.failure));
    if (text === '' || this.broken) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.stream.write(text, (err?: Error | null) => {
        if (!err) return resolve();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          this.broken = true;
          return resolve();
        }
        // A stream destroyed by an earlier error reports that one, not ERR_STREAM_DESTROYED.
        if (code !== 'ERR_STREAM_DESTROYED') this.failure ??= err as NodeJS.ErrnoException;
        reject(writeFailed(this.failure ?? (err as NodeJS.ErrnoException)));
      });
    });
  }
}

function writeFailed(err: NodeJS.ErrnoException): CliError {
  return new CliError(`cannot write the export to stdout: ${err.code ? `${err.code}: ` : ''}${err.message.replace(/^\w+: /, '')}`, 1);
}

/** Export files hold personal data (asset users' names, addresses): created 0600. */
async function openFile(file: string, flags: 'w' | 'r+'): Promise<FileHandle> {
  try {
    return await open(file, flags, 0o600);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
}
