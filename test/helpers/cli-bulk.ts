// Helpers for the bulk command tests (export get-all, import create): the real command as a
// child process that a test can interrupt, what the gateway holds (page by page), and
// import files with known invalid rows.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { childEnv, CLI, spawnServe, type CliProcess } from './cli.js';
import { REPO_ROOT, type Stack } from './stack.js';

/** `evercycle-gateway <args>` running in the background (stdout/stderr captured), to be signalled. */
export function startCli(args: string[]): CliProcess {
  return spawnServe({}, args);
}

/** Poll `check` until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One page of get-all through the gateway, as a client sees it. */
export async function gatewayPage(stack: Stack, pageNum: number, perPage: number): Promise<{ rows: Record<string, unknown>[]; total: number }> {
  const res = await fetch(`${stack.url}/api/get-all?page_num=${pageNum}&per_page=${perPage}`);
  if (res.status !== 200) throw new Error(`get-all page ${pageNum}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { data: Record<string, unknown>[] };
  return { rows: body.data, total: Number(res.headers.get('x-total-count')) };
}

/** Every asset the gateway lists, read page by page (independently of the command under test). */
export async function gatewayAssets(stack: Stack, perPage = 500): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for (let page = 1; ; page++) {
    const { rows } = await gatewayPage(stack, page, perPage);
    all.push(...rows);
    if (rows.length < perPage) return all;
  }
}

export async function readCsv(file: string): Promise<{ header: string[]; records: Record<string, string>[] }> {
  const rows = parse(await readFile(file, 'utf8')) as string[][];
  const header = rows[0] ?? [];
  return { header, records: rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

export async function readJsonLines(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** How many events of `kind` the journal holds so far (0 while it does not exist). */
export async function journalCount(file: string, kind: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.includes(`"event":"${kind}"`)).length;
}

export interface ImportFile {
  csv: string;
  /** The invalid rows: file line and the field at fault. */
  invalid: { line: number; field: string }[];
  /** Serial numbers of the valid rows. */
  validSerials: string[];
}

/** Ways a row can break the create schema, each naming the field at fault. */
const BREAKAGES: { field: string; value: string }[] = [
  { field: 'year', value: 'twenty' },
  { field: 'asset_type_id', value: 'laptop' },
  { field: 'archived', value: 'maybe' },
  { field: 'year', value: '2023.5' },
  { field: 'request_id', value: 'R-17' },
];

const COLUMNS = ['asset_type_id', 'serial_number', 'make', 'model', 'year', 'archived', 'request_id', 'asset_user_city', 'purchase_date'];

/**
 * A CSV of `rows` assets with unique serial numbers (prefix + index); every row whose index
 * is in `invalidAt` has one field broken. Line 1 is the header, row i is on line i + 2.
 */
export function importCsv(rows: number, invalidAt: readonly number[], prefix: string): ImportFile {
  const records: string[][] = [];
  const invalid: ImportFile['invalid'] = [];
  const validSerials: string[] = [];
  for (let i = 0; i < rows; i++) {
    const serial = `${prefix}-${String(i).padStart(4, '0')}`;
    const row: Record<string, string> = {
      asset_type_id: String((i % 4) + 1),
      serial_number: serial,
      make: 'Apple',
      model: i % 2 ? 'MacBook Pro 14' : 'iPhone 15',
      year: String(2018 + (i % 7)),
      archived: i % 3 === 0 ? 'true' : 'false',
      request_id: '',
      asset_user_city: i % 5 === 0 ? '' : 'Denver, CO',
      purchase_date: '2024-01-31',
    };
    const k = invalidAt.indexOf(i);
    if (k >= 0) {
      const breakage = BREAKAGES[k % BREAKAGES.length]!;
      row[breakage.field] = breakage.value;
      invalid.push({ line: i + 2, field: breakage.field });
    } else {
      validSerials.push(serial);
    }
    records.push(COLUMNS.map((c) => row[c]!));
  }
  return { csv: stringify([COLUMNS, ...records]), invalid, validSerials };
}

/** How many assets carry each of these serial numbers. */
export function serialCounts(assets: readonly Record<string, unknown>[], prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of assets) {
    if (typeof a.serial_number === 'string' && a.serial_number.startsWith(prefix)) counts.set(a.serial_number, (counts.get(a.serial_number) ?? 0) + 1);
  }
  return counts;
}

/**
 * Run `evercycle-gateway <args>` with its stdout going to `stdout`: a path opened for
 * writing (e.g. /dev/full, as `> FILE` would), or 'close-after-first-chunk' (a reader that
 * takes one chunk and closes the pipe, as `| head -1` does). stderr is captured.
 */
export function runCliStdout(args: string[], stdout: string, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string; firstChunk: string }> {
  const fd = stdout === 'close-after-first-chunk' ? undefined : openSync(stdout, 'w');
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: childEnv({}), stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  if (fd !== undefined) closeSync(fd);
  let stderr = '';
  let firstChunk = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  if (fd === undefined) {
    child.stdout!.once('data', (c: Buffer) => {
      firstChunk = c.toString('utf8');
      child.stdout!.destroy();
    });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`evercycle-gateway ${args.join(' ')} did not finish in time\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, firstChunk });
    });
  });
}
