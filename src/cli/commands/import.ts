// `evercycle-gateway import create --from FILE`: create one asset per row of a CSV or JSON
// Lines file, through the gateway's `create` API. In order:
//   1. every row is converted and validated against the schema the gateway enforces (its
//      /openapi.json); with any invalid row nothing is sent, unless --skip-invalid;
//   2. rows an earlier run sent without a recorded answer are looked up (bulk/verify.ts);
//   3. the remaining rows are sent, --concurrency at a time, each step in the journal
//      (bulk/journal-replay.ts) before it is taken, so a re-run after Ctrl-C, a crash or a
//      SIGKILL skips what was created and never sends a row twice;
//   4. the result file maps every input line to the created id or the error.
// stdout gets one JSON summary line; the report, progress and notes go to stderr.
import { access, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { compileBodyValidator } from '../../definitions/index.js';
import { checkRows, judgeRow, type CheckResult } from '../bulk/check.js';
import { onInterrupt, type Interrupt } from '../bulk/interrupt.js';
import { Journal, lockJournal, readJournal } from '../bulk/journal.js';
import { JOURNAL_VERSION } from '../bulk/journal-replay.js';
import { signInHint } from '../bulk/hints.js';
import { intOption } from '../bulk/options.js';
import { createProgress, type Progress } from '../bulk/progress.js';
import { writeResults, type RowOutcome } from '../bulk/results.js';
import { bodyHash } from '../bulk/row-hash.js';
import { inputFormatOf, readRows, type InputFormat } from '../bulk/rows.js';
import { fetchOperation, type JsonSchema } from '../bulk/schema.js';
import { sendRow, type SendContext } from '../bulk/send.js';
import { verifyDoubtful } from '../bulk/verify.js';
import { CliError, runCommand } from '../errors.js';
import { GatewayClient, gatewayTarget } from '../gateway-client.js';
import { gatewayOption } from '../options.js';
import { usageErrorsExitTwo } from '../usage.js';

const API = 'create';
/** Where rows in doubt are looked up. */
const LOOKUP_API = 'get-all';
const LOOKUP_PER_PAGE = 100;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRIES = 5;

interface ImportOptions {
  from: string;
  format?: InputFormat;
  concurrency: number;
  journal?: string;
  results?: string;
  skipInvalid: boolean;
  validateOnly: boolean;
  retries: number;
  progress: boolean;
  gateway?: string;
}

interface Files {
  from: string;
  format: InputFormat;
  journal: string;
  results: string;
}

export function importCommand(): Command {
  const command = usageErrorsExitTwo(new Command('import')).description('create items in bulk from a file');
  usageErrorsExitTwo(command.command('create'))
    .description('create one asset per row of a CSV or JSON Lines file (POST /api/create), resumable, never twice')
    .requiredOption('-f, --from <file>', 'rows to import: FILE.csv (header row; dotted columns nest) or FILE.jsonl (one JSON object per line)')
    .addOption(new Option('--format <format>', 'csv or jsonl (default: from the file name)').choices(['csv', 'jsonl']))
    .option('-c, --concurrency <n>', 'rows sent at the same time', intOption(1, 64), DEFAULT_CONCURRENCY)
    .option('--journal <file>', 'journal of what was sent and created (default: FILE.journal); keep it to resume')
    .option('--results <file>', 'result file: each input line with the created id or the error (default: FILE.results.csv or .jsonl)')
    .option('--skip-invalid', 'send the valid rows even when some are invalid (they are listed in the result file)', false)
    .option('--validate-only', 'check every row against the schema and stop: nothing is sent', false)
    .option('--retries <n>', 'tries again per row after 429 or 503 (answers that prove nothing was created)', intOption(0, 100), DEFAULT_RETRIES)
    .option('--no-progress', 'no progress bar (or progress lines) on stderr')
    .addOption(gatewayOption())
    .addHelpText(
      'after',
      `
Rows are checked against the create schema of the gateway you talk to (GET /openapi.json).
CSV cells are converted to the types the schema asks for ("2023" -> 2023 for an integer,
"true" -> true for a boolean); an empty cell leaves the field out; column _extra may hold a
JSON object of further fields (as \`export get-all --format csv\` writes it).

Interrupted (Ctrl-C, a crash, a lost gateway)? Run the same command again: rows already
created are skipped, and rows whose answer was lost are looked up before being sent again.

Exit codes: 0 every row created, 1 some row not created (invalid, failed, in doubt) or
nothing sent because of invalid rows, 2 usage (bad option, unreadable or changed file),
130 interrupted by Ctrl-C.`,
    )
    .action((opts: ImportOptions) => runCommand(() => runImport(opts)));
  return command;
}

async function runImport(opts: ImportOptions): Promise<void> {
  const files = await importFiles(opts);
  const target = gatewayTarget(opts.gateway);
  const progress = createProgress({ label: 'import', unit: 'rows', enabled: opts.progress });
  const client = new GatewayClient(target, { connections: opts.concurrency + 1 });
  let release: (() => Promise<void>) | undefined;
  try {
    const operation = await fetchOperation(client, API);
    const schema: JsonSchema = operation.body ?? { type: 'object' };
    const validate = compileBodyValidator(schema);
    if (!opts.validateOnly) release = await lockJournal(files.journal);
    const replay = opts.validateOnly ? undefined : await readJournal(files.journal);

    const check = await checkRows(readRows(files.from, files.format, schema), validate, replay, (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`${files.from}: ${check.lines.length} rows, ${check.valid} valid, ${check.invalid} invalid\n`);
    if (check.changed.length > 0) {
      throw new CliError(
        `${files.from} no longer holds the rows the journal ${files.journal} recorded as sent (line ${listed(check.changed)}). ` +
          'Restore the file as it was, or import the new file with a new --journal.',
        2,
      );
    }
    if (opts.validateOnly) {
      if (check.invalid > 0) throw new CliError(`${check.invalid} invalid rows (listed above)`, 1);
      return;
    }
    if (check.invalid > 0 && !opts.skipInvalid) {
      throw new CliError(`${check.invalid} invalid rows (listed above): nothing was sent. Fix them, or pass --skip-invalid to import the valid rows only`, 1);
    }
    if (replay?.start && replay.start.gateway !== target.url) {
      progress.log(`note: the journal was started against ${replay.start.gateway}, this run talks to ${target.url}`);
    }

    const journal = await Journal.open(files.journal, { event: 'start', version: JOURNAL_VERSION, input: files.from, gateway: target.url });
    const interrupt = onInterrupt(progress.log);
    try {
      const context: SendContext = { client, journal, api: API, method: operation.method, retries: opts.retries, signal: interrupt.signal, onRetry: progress.log };
      await settleDoubtful(check, replay?.claimedIds ?? new Set(), schema, context, interrupt, progress);
      const run = await sendAll(files, schema, validate, check, context, opts.concurrency, interrupt, progress);
      progress.stop();
      for (const line of check.lines) if (!check.outcomes.has(line)) check.outcomes.set(line, { status: 'not_sent' });
      await writeResults(files.results, files.format, check.lines.map((line) => [line, check.outcomes.get(line)!] as const));
      finish(files, check, run.createdNow, run.stopReason, interrupt);
    } finally {
      progress.stop();
      interrupt.dispose();
      await journal.close();
    }
  } finally {
    await release?.();
    await client.close();
  }
}

async function importFiles(opts: ImportOptions): Promise<Files> {
  const from = path.resolve(opts.from);
  const format = opts.format ?? inputFormatOf(from);
  if (!format) throw new CliError(`cannot tell the format of ${opts.from} from its name: give --format csv or --format jsonl`, 2);
  try {
    await access(from);
  } catch (err) {
    throw new CliError(`cannot read ${opts.from}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  // The default journal (and its lock) belongs to the file, not to the name it was given
  // by: the same file through a symlink or another relative path finds the same journal.
  const real = await realpath(from).catch(() => from);
  return {
    from,
    format,
    journal: path.resolve(opts.journal ?? `${real}.journal`),
    results: path.resolve(opts.results ?? `${real}.results.${format}`),
  };
}

/**
 * Look up the rows an earlier run left in doubt. Found: recorded as created. Verifiably
 * absent: recorded, and sent again below. Unclear: left in doubt for a manual check.
 */
async function settleDoubtful(check: CheckResult, claimedIds: ReadonlySet<string>, schema: JsonSchema, ctx: SendContext, interrupt: Interrupt, progress: Progress): Promise<void> {
  if (check.doubtful.length === 0) return;
  progress.log(`${check.doubtful.length} rows were sent by an earlier run without a recorded answer: looking them up (GET /api/${LOOKUP_API})`);
  const verdicts = await verifyDoubtful(ctx.client, check.doubtful, claimedIds, {
    api: LOOKUP_API,
    perPage: LOOKUP_PER_PAGE,
    retries: ctx.retries,
    schema,
    signal: interrupt.signal,
    onRetry: progress.log,
  }).catch((err: unknown) => {
    if (interrupt.received) throw new CliError(`interrupted by ${interrupt.received} while looking up rows in doubt; nothing was sent`, interrupt.exitCode);
    throw new CliError(`cannot look up the rows in doubt, so nothing was sent: ${(err as Error).message}${err instanceof CliError ? signInHint(err.answer) : ''}`, 1);
  });
  const counts = { created: 0, absent: 0, unclear: 0 };
  for (const verdict of verdicts) {
    counts[verdict.kind]++;
    if (verdict.kind === 'created') {
      await ctx.journal.append({ event: 'created', line: verdict.line, id: verdict.id, verified: true });
      check.outcomes.set(verdict.line, { status: 'created', id: verdict.id });
    } else if (verdict.kind === 'absent') {
      await ctx.journal.append({ event: 'absent', line: verdict.line });
      check.toSend++;
    } else {
      const error = `needs a manual check: it may have been created (candidate asset ids ${verdict.candidates.join(', ')})`;
      progress.log(`line ${verdict.line}: ${error}`);
      check.outcomes.set(verdict.line, { status: 'in_doubt', error });
    }
  }
  progress.log(`looked up: ${counts.created} found created, ${counts.absent} not created (sent again), ${counts.unclear} unclear`);
}

/** The second pass: stream the file again and send every row without an outcome yet. */
async function sendAll(
  files: Files,
  schema: JsonSchema,
  validate: ReturnType<typeof compileBodyValidator>,
  check: CheckResult,
  ctx: SendContext,
  concurrency: number,
  interrupt: Interrupt,
  progress: Progress,
): Promise<{ createdNow: number; stopReason?: string }> {
  const inFlight = new Set<Promise<void>>();
  let createdNow = 0;
  let done = 0;
  let stopReason: string | undefined;
  let fatal: unknown;
  progress.update(0, check.toSend);
  const send = async (line: number, body: Record<string, unknown>) => {
    try {
      const result = await sendRow(ctx, { line, body, hash: bodyHash(body) });
      check.outcomes.set(line, result.outcome);
      if (result.outcome.status === 'created') createdNow++;
      if (result.stopRun) stopReason ??= result.stopRun;
    } catch (err) {
      // The journal could not be written: nothing more may be sent.
      fatal ??= err;
    }
    progress.update(++done, check.toSend);
  };
  for await (const row of readRows(files.from, files.format, schema)) {
    if (check.outcomes.has(row.line)) continue;
    const judged = judgeRow(row.result, validate);
    if (!judged.ok) {
      // Changed since the first pass: still never sent.
      check.outcomes.set(row.line, { status: 'invalid', error: 'changed while importing' });
      continue;
    }
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (interrupt.signal.aborted || stopReason !== undefined || fatal !== undefined) break;
    const task: Promise<void> = send(row.line, judged.body).finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  if (fatal !== undefined) throw fatal;
  return { createdNow, ...(stopReason !== undefined && { stopReason }) };
}

/** The summary (JSON on stdout, a sentence on stderr) and the exit code. */
function finish(files: Files, check: CheckResult, createdNow: number, stopReason: string | undefined, interrupt: Interrupt): void {
  const counts: Record<RowOutcome['status'], number> = { created: 0, invalid: 0, failed: 0, in_doubt: 0, not_sent: 0 };
  for (const outcome of check.outcomes.values()) counts[outcome.status]++;
  const rows = check.lines.length;
  process.stdout.write(`${JSON.stringify({ rows, ...counts, created_this_run: createdNow, results: files.results, journal: files.journal })}\n`);
  const others = (['invalid', 'failed', 'in_doubt', 'not_sent'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s.replace('_', ' ')}`);
  process.stderr.write(`created ${createdNow} assets this run; ${counts.created} of ${rows} rows created${others.length ? `, ${others.join(', ')}` : ''}. Results: ${files.results}\n`);

  const again = 'run the same command again to continue';
  if (interrupt.received) throw new CliError(`interrupted by ${interrupt.received}; ${again}`, interrupt.exitCode);
  if (stopReason !== undefined) throw new CliError(`stopped sending: ${stopReason}; ${again}`, 1);
  if (counts.created === rows) return;
  const hints: string[] = [];
  if (counts.in_doubt > 0) hints.push('rows in doubt are looked up when the command runs again (or need the manual check the result file names)');
  if (counts.failed > 0) hints.push('failed rows are sent again when the command runs again');
  throw new CliError(`${rows - counts.created} of ${rows} rows not created${hints.length ? `: ${hints.join('; ')}` : ''}`, 1);
}

function listed(lines: readonly number[]): string {
  return lines.length > 10 ? `${lines.slice(0, 10).join(', ')} and ${lines.length - 10} more` : lines.join(', ');
}
