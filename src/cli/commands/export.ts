// `evercycle-gateway export get-all`: every asset, page by page, to a CSV, JSON Lines or
// JSON file (or stdout). Rows are written as each page arrives, so memory stays the same
// for any inventory size; a file export can be resumed after an interruption or a crash
// (see bulk/export-file.ts). Data goes to the file or stdout; progress, notes and the
// summary go to stderr.
import { stat, rm } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { chooseColumns } from '../bulk/csv-columns.js';
import { FileTarget, partialPathOf, readExportState, resumeMismatch, statePathOf, StdoutTarget, type ExportState, type ExportTarget } from '../bulk/export-file.js';
import { EXPORT_FORMATS, exportFormatOf, ExportFormatter, type ExportFormat } from '../bulk/export-format.js';
import { signInHint } from '../bulk/hints.js';
import { onInterrupt } from '../bulk/interrupt.js';
import { intOption } from '../bulk/options.js';
import { walkPages } from '../bulk/pages.js';
import { createProgress } from '../bulk/progress.js';
import { fetchOperation, schemaFields } from '../bulk/schema.js';
import { CliError, runCommand } from '../errors.js';
import { GatewayClient, gatewayTarget } from '../gateway-client.js';
import { gatewayOption } from '../options.js';
import { usageErrorsExitTwo } from '../usage.js';

const API = 'get-all';
/** The API reference gives no page size limit; 100 is well inside the simulator's 500. */
const DEFAULT_PER_PAGE = 100;
/** Evercycle (and its simulator, MAX_PER_PAGE) refuses a larger page with HTTP 400. */
const MAX_PER_PAGE = 500;
const DEFAULT_RETRIES = 5;

interface ExportOptions {
  format?: ExportFormat;
  out?: string;
  perPage?: number;
  resume: boolean;
  retries: number;
  progress: boolean;
  gateway?: string;
}

export function exportCommand(): Command {
  const command = usageErrorsExitTwo(new Command('export')).description('export every item of a paginated API to a file');
  usageErrorsExitTwo(command.command('get-all'))
    .description('export every asset (GET /api/get-all, page by page) as CSV, JSON Lines or a JSON array')
    .addOption(new Option('--format <format>', 'csv, jsonl or json (default: from the --out extension, else jsonl)').choices(EXPORT_FORMATS))
    .option('-o, --out <file>', 'write to FILE (through FILE.partial, renamed over FILE when complete; created 0600); default: stdout')
    .option('--per-page <n>', `assets per request, at most ${MAX_PER_PAGE} (default: ${DEFAULT_PER_PAGE})`, intOption(1, MAX_PER_PAGE))
    .option('--resume', 'continue an interrupted export to --out from its last complete page', false)
    .option('--retries <n>', 'tries again per page after 429/502/503/504 or a lost connection', intOption(0, 100), DEFAULT_RETRIES)
    .option('--no-progress', 'no progress bar (or progress lines) on stderr')
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
CSV: nested fields become dotted columns (a.b), arrays JSON text, null an empty cell.
The columns are fixed before the first row: the first page's fields in order, then the
create schema's other fields, then _extra, a JSON object of any field seen only later.

An interrupted export to a file (Ctrl-C, a crash, a lost gateway) leaves FILE.partial
and FILE.resume.json; run the same command with --resume to continue it.

Exit codes: 0 done, 1 failed (the partial file stays for --resume), 2 usage,
130 interrupted by Ctrl-C.`,
    )
    .action((opts: ExportOptions) => runCommand(() => runExport(opts)));
  return command;
}

async function runExport(opts: ExportOptions): Promise<void> {
  const out = opts.out === undefined || opts.out === '-' ? undefined : path.resolve(opts.out);
  if (!out && opts.resume) throw new CliError('--resume needs --out: an export to stdout cannot be resumed', 2);
  if (out && (await isDirectory(out))) throw new CliError(`--out ${opts.out} is a directory: give the path of the file to write, e.g. ${path.join(opts.out!, 'assets.csv')}`, 2);
  if (out && !opts.format && !opts.resume && !exportFormatOf(out)) {
    throw new CliError(`cannot tell the format from the name ${opts.out}: use a name ending in .csv, .jsonl, .ndjson or .json, or give --format csv|jsonl|json`, 2);
  }
  const target = gatewayTarget(opts.gateway);
  const progress = createProgress({ label: 'export', unit: 'assets', enabled: opts.progress });

  const state = out ? await existingExport(out, opts, progress.log) : undefined;
  const format = opts.format ?? state?.format ?? (out ? exportFormatOf(out) : 'jsonl');
  if (!format) throw new CliError(`cannot tell the format from the name ${opts.out}: use a name ending in .csv, .jsonl, .ndjson or .json, or give --format csv|jsonl|json`, 2);
  const perPage = opts.perPage ?? state?.per_page ?? DEFAULT_PER_PAGE;

  const client = new GatewayClient(target, { connections: 2 });
  const interrupt = onInterrupt(progress.log);
  let output: ExportTarget | undefined;
  let pagesDone = state?.pages_done ?? 0;
  const started = Date.now();
  try {
    const schema = format === 'csv' && !state ? await createSchemaFields(client) : [];
    output = out ? (state ? await FileTarget.reopen(out, state) : await FileTarget.create(out)) : new StdoutTarget();
    const formatter = new ExportFormatter(format, state?.rows_done ?? 0, state?.columns);
    let columns = state?.columns;
    let total = state?.total;
    if (state) progress.log(`resuming: ${state.rows_done} assets (${state.pages_done} pages) already in ${partialPathOf(out!)}`);

    for await (const page of walkPages(client, { api: API, perPage, firstPage: pagesDone + 1, retries: opts.retries, signal: interrupt.signal, onRetry: progress.log })) {
      let text = '';
      if (page.pageNum === 1) {
        if (format === 'csv') columns = chooseColumns(page.rows, schema);
        text += formatter.start(columns);
      }
      text += formatter.page(page.rows);
      pagesDone = page.pageNum;
      total = page.total ?? total;
      await output.writePage(text, { version: 1, api: API, format, per_page: perPage, out: out ?? '-', pages_done: pagesDone, rows_done: formatter.rows, ...(columns && { columns }), ...(total !== undefined && { total }) });
      progress.update(formatter.rows, total);
      if (interrupt.signal.aborted) throw interrupt.signal.reason;
      if (output instanceof StdoutTarget && output.closedByReader) break;
    }
    await output.finish(formatter.end());
    progress.stop();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const cut = output instanceof StdoutTarget && output.closedByReader ? ', then the reader closed stdout' : '';
    process.stderr.write(`exported ${formatter.rows} assets (${pagesDone} pages of ${perPage}) ${out ? `to ${out} ` : ''}in ${seconds} s${cut}\n`);
  } catch (err) {
    progress.stop();
    await output?.close();
    // Nothing recorded yet: no partial file to resume, and none left in the way of the next run.
    if (out && pagesDone === 0) await rm(partialPathOf(out), { force: true });
    throw stopped(err, out && pagesDone > 0 ? out : undefined, interrupt);
  } finally {
    interrupt.dispose();
    await client.close();
  }
}

/**
 * The resume state to continue from, when --resume finds one. Without --resume, an
 * interrupted export's partial file is refused rather than overwritten.
 */
async function existingExport(out: string, opts: ExportOptions, note: (line: string) => void): Promise<ExportState | undefined> {
  const partial = partialPathOf(out);
  const hasPartial = await stat(partial).then(
    () => true,
    () => false,
  );
  if (!hasPartial) {
    // A state without its partial file is left over (an export that completed its rename, or
    // a partial file deleted by hand): nothing to trust in it.
    await rm(statePathOf(out), { force: true });
    if (opts.resume) note(`nothing to resume for ${out}: starting a new export`);
    return undefined;
  }
  if (!opts.resume) {
    throw new CliError(`${partial} exists: an earlier export to ${out} was interrupted. Continue it with --resume, or delete ${partial} to start over`, 2);
  }
  const state = await readExportState(out);
  if (!state) {
    note(`${partial} has no resume state (interrupted before its first page was recorded): starting over`);
    return undefined;
  }
  const mismatch = resumeMismatch(state, { api: API, out, format: opts.format, perPage: opts.perPage });
  if (mismatch) throw new CliError(`cannot resume the export in ${partial}: ${mismatch}. Resume with the same options, or delete ${partial} to start over`, 2);
  return state;
}

async function isDirectory(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Fields of the create schema (CSV columns an API that omits null fields still gets); none when unavailable. */
async function createSchemaFields(client: GatewayClient): Promise<string[]> {
  try {
    return schemaFields((await fetchOperation(client, 'create')).body);
  } catch {
    return [];
  }
}

function stopped(err: unknown, out: string | undefined, interrupt: { received: NodeJS.Signals | undefined; exitCode: number }): Error {
  const hint = out ? `; what was exported so far is in ${partialPathOf(out)}: run the same command with --resume to continue` : '';
  if (interrupt.received) return new CliError(`interrupted by ${interrupt.received}${hint}`, interrupt.exitCode);
  if (err instanceof CliError && err.exitCode !== 1) return err;
  const signIn = err instanceof CliError ? signInHint(err.answer) : '';
  return new CliError(`${(err as Error).message}${signIn}${hint}`, 1);
}
