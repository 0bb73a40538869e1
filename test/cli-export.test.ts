// `evercycle-gateway export get-all`: the real command as a child process against a real
// gateway and simulator (every page walked, formats, CSV round trip, retries, resume after
// SIGKILL and Ctrl-C, exit codes, stdout/stderr), plus the pure pieces it is built from.
import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvRecordToBody } from '../src/cli/bulk/coerce.js';
import { chooseColumns } from '../src/cli/bulk/csv-columns.js';
import { parseState, resumeMismatch, type ExportState } from '../src/cli/bulk/export-file.js';
import { ExportFormatter } from '../src/cli/bulk/export-format.js';
import { cellText, columnLayout, EXTRA_COLUMN, flattenEntries, rowCells, unflatten, UnflattenError } from '../src/cli/bulk/flatten.js';
import { isLastPage, readPage } from '../src/cli/bulk/pages.js';
import { backoffMs, MAX_RETRY_AFTER_MS, PAGE_RETRY_STATUSES, retryAfterMs, retryDecision } from '../src/cli/bulk/retry.js';
import { schemaFields } from '../src/cli/bulk/schema.js';
import { runCli } from './helpers/cli.js';
import { gatewayAssets, gatewayPage, readCsv, readJsonLines, runCliStdout, startCli, waitUntil } from './helpers/cli-bulk.js';
import { ONE_TRY, REPO_ROOT, signIn, startStack, tempDir, type Stack } from './helpers/stack.js';

const CREATE_SCHEMA = JSON.parse(await readFile(path.join(REPO_ROOT, 'apis', 'create.json'), 'utf8')).body as Record<string, unknown>;

describe('flatten (pure)', () => {
  it('flattens nested objects into dotted keys; arrays and empty objects stay whole', () => {
    expect(flattenEntries({ a: 1, b: { c: 'x', d: { e: null } }, f: [1, { g: 2 }], h: {} })).toEqual([
      ['a', 1],
      ['b.c', 'x'],
      ['b.d.e', null],
      ['f', [1, { g: 2 }]],
      ['h', {}],
    ]);
  });

  it('writes cells as text: null empty, arrays and objects as JSON', () => {
    expect([null, undefined, 'x', 0, false, [1, 'a'], {}].map(cellText)).toEqual(['', '', 'x', '0', 'false', '[1,"a"]', '{}']);
  });

  it('lays a row out under a fixed header; a field without a column goes to _extra, never lost', () => {
    const layout = columnLayout(['id', 'loc.city', 'tags', EXTRA_COLUMN]);
    expect(rowCells({ id: 7, loc: { city: 'Oslo', zip: '0150' }, tags: ['a'], late: { x: 1 } }, layout)).toEqual(['7', 'Oslo', '["a"]', '{"loc.zip":"0150","late":{"x":1}}']);
    // An object where the header has a leaf column is written whole into it.
    expect(rowCells({ id: { v: 1 } }, layout)).toEqual(['{"v":1}', '', '', '']);
    expect(rowCells({ id: 1, loc: null }, layout)).toEqual(['1', '', '', '']);
  });

  it('unflattens dotted keys back, and refuses a path that is both a value and a parent', () => {
    expect(unflatten([['a', 1], ['b.c', 'x'], ['b.d.e', true]])).toEqual({ a: 1, b: { c: 'x', d: { e: true } } });
    expect(() => unflatten([['a', 1], ['a.b', 2]])).toThrow(UnflattenError);
    expect(() => unflatten([['a.b', 1], ['a', 2]])).toThrow(UnflattenError);
    const body = unflatten([['__proto__.polluted', 1]]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(body)).toEqual(['__proto__']);
  });

  it('round-trips nested rows through CSV cells and back', () => {
    const row = { id: 3, owner: { name: 'Ann', address: { city: 'Oslo' } }, tags: ['x', 'y'], active: true };
    const columns = chooseColumns([row], []);
    const cells = rowCells(row, columnLayout(columns));
    const schema = { type: 'object', properties: { id: { type: 'integer' }, tags: { type: 'array' }, active: { type: 'boolean' } } };
    expect(csvRecordToBody(columns, cells, schema)).toEqual({ ok: true, body: row });
  });
});

describe('CSV columns (pure)', () => {
  it('takes the first page in first-seen order, then unseen schema fields, then _extra', () => {
    const page = [{ id: 1, b: { x: 1 } }, { id: 2, c: 3, b: { y: 2 } }];
    expect(chooseColumns(page, ['c', 'd', 'id'])).toEqual(['id', 'b.x', 'c', 'b.y', 'd', EXTRA_COLUMN]);
    expect(chooseColumns([], ['a', 'n.m'])).toEqual(['a', 'n.m', EXTRA_COLUMN]);
  });

  it('lists the create schema fields in schema order', () => {
    const fields = schemaFields(CREATE_SCHEMA);
    expect(fields[0]).toBe('asset_type_id');
    expect(fields).toContain('end_of_life_date');
    expect(schemaFields({ properties: { a: { type: 'object', properties: { b: {} } }, c: {} } })).toEqual(['a.b', 'c']);
  });
});

describe('pages (pure)', () => {
  it('reads the envelope array with X-Total-Count, or an object wrapping the array', () => {
    expect(readPage({ status: 'success', data: [{ id: 1 }] }, { 'x-total-count': '300' })).toEqual({ rows: [{ id: 1 }], total: 300 });
    expect(readPage({ data: { items: [1, 2], total: 9 } }, {})).toEqual({ rows: [1, 2], total: 9 });
    expect(readPage({ data: [] }, {})).toEqual({ rows: [] });
    expect(() => readPage({ data: { message: 'x' } }, {})).toThrow(/no list/);
  });

  it('stops on a short page or once the total is reached', () => {
    expect(isLastPage(1, 50, 50, undefined)).toBe(false);
    expect(isLastPage(2, 50, 49, undefined)).toBe(true);
    expect(isLastPage(3, 50, 0, 100)).toBe(true);
    expect(isLastPage(6, 50, 50, 300)).toBe(true);
    // The inventory grew meanwhile: the latest total wins.
    expect(isLastPage(6, 50, 50, 310)).toBe(false);
  });
});

describe('retries (pure)', () => {
  const policy = { retries: 3, statuses: PAGE_RETRY_STATUSES, retryWithoutAnswer: true };
  it('retries 429/502/503/504 and lost connections, honouring Retry-After, within bounds', () => {
    expect(retryDecision({ status: 503, retryAfter: '2', failures: 1 }, policy)).toEqual({ retry: true, waitMs: 2000 });
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryDecision({ status: 429, retryAfter: 'Wed, 01 Jan 2025 00:00:05 GMT', failures: 1 }, policy, now)).toEqual({ retry: true, waitMs: 5000 });
    expect(retryDecision({ status: 503, retryAfter: '120', failures: 1 }, policy)).toEqual({ retry: false, reason: 'asked to retry after 120 s' });
    expect(retryDecision({ status: 502, failures: 4 }, policy)).toEqual({ retry: false, reason: 'gave up after 4 tries' });
    expect(retryDecision({ status: 404, failures: 1 }, policy)).toEqual({ retry: false });
    expect(retryDecision({ failures: 1 }, { ...policy, retryWithoutAnswer: false })).toEqual({ retry: false });
    expect(retryDecision({ failures: 1 }, policy, now, () => 0)).toEqual({ retry: true, waitMs: 250 });
  });

  it('backs off exponentially with jitter, capped', () => {
    expect([1, 2, 3].map((f) => backoffMs(f, () => 1))).toEqual([500, 1000, 2000]);
    expect(backoffMs(30, () => 1)).toBe(10_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(MAX_RETRY_AFTER_MS).toBe(60_000);
  });
});

describe('export formats and resume state (pure)', () => {
  it('writes a JSON array page by page that stays valid across a resume', () => {
    const first = new ExportFormatter('json');
    const before = first.start() + first.page([{ a: 1 }, { a: 2 }]);
    const resumed = new ExportFormatter('json', first.rows);
    const text = before + resumed.page([{ a: 3 }]) + resumed.page([]) + resumed.end();
    expect(JSON.parse(text)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    const empty = new ExportFormatter('json');
    expect(JSON.parse(empty.start() + empty.page([]) + empty.end())).toEqual([]);
  });

  it('checks a resume state and refuses options that would not line up', () => {
    const state: ExportState = { version: 1, api: 'get-all', format: 'csv', per_page: 50, out: '/x/a.csv', pages_done: 2, rows_done: 100, bytes: 999, columns: ['id', EXTRA_COLUMN], updated_at: 'now' };
    expect(parseState(JSON.stringify(state))).toEqual(state);
    expect(parseState('{"version":1}')).toBeUndefined();
    expect(parseState('not json')).toBeUndefined();
    expect(resumeMismatch(state, { api: 'get-all', out: '/x/a.csv' })).toBeUndefined();
    expect(resumeMismatch(state, { api: 'get-all', out: '/x/a.csv', perPage: 100 })).toMatch(/50 assets per page/);
    expect(resumeMismatch(state, { api: 'get-all', out: '/x/a.csv', format: 'json' })).toMatch(/format csv/);
  });
});

describe('export get-all over a real gateway', () => {
  let stack: Stack;
  let dir: string;
  let seeded: Record<string, unknown>[];

  beforeAll(async () => {
    stack = await startStack();
    await signIn(stack);
    dir = await tempDir('evgw-export-');
    seeded = await gatewayAssets(stack);
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const exportTo = (file: string, ...args: string[]) => runCli(['export', 'get-all', '--gateway', stack.url, '--out', path.join(dir, file), ...args]);

  it('walks every page: JSON Lines and JSON hold exactly what the gateway lists page by page', async () => {
    expect(seeded.length).toBeGreaterThanOrEqual(250);
    const perPage = 40;
    const pages = Math.ceil(seeded.length / perPage);
    const expected: Record<string, unknown>[] = [];
    for (let p = 1; p <= pages; p++) expected.push(...(await gatewayPage(stack, p, perPage)).rows);

    stack.sim.resetCalls();
    const jsonl = await exportTo('all.jsonl', '--per-page', String(perPage));
    expect(jsonl.code).toBe(0);
    expect(jsonl.stdout).toBe('');
    expect(jsonl.stderr.replace(/in [\d.]+ s/, 'in T s')).toBe(`exported ${seeded.length} assets (${pages} pages of ${perPage}) to ${path.join(dir, 'all.jsonl')} in T s\n`);
    // The last page is short (300 = 7 x 40 + 20): no request past it.
    expect(stack.sim.calls()['GET /v1/asset']).toBe(pages);
    expect(await readJsonLines(path.join(dir, 'all.jsonl'))).toEqual(expected);

    const json = await exportTo('all.json', '--per-page', '50');
    expect(json.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'all.json'), 'utf8'))).toEqual(expected);
    // Nothing left behind but the files themselves, private to their owner.
    expect((await readdir(dir)).filter((f) => f.startsWith('all.')).sort()).toEqual(['all.json', 'all.jsonl']);
    expect((await stat(path.join(dir, 'all.json'))).mode & 0o777).toBe(0o600);
  });

  it('round-trips CSV: every cell is the JSON export flattened, in a stable column order, and reads back as the same fields', async () => {
    expect((await exportTo('rt.csv', '--per-page', '100')).code).toBe(0);
    expect((await exportTo('rt.json', '--per-page', '100')).code).toBe(0);
    const rows = JSON.parse(await readFile(path.join(dir, 'rt.json'), 'utf8')) as Record<string, unknown>[];
    const { header, records } = await readCsv(path.join(dir, 'rt.csv'));

    expect(header).toEqual([...Object.keys(rows[0]!), EXTRA_COLUMN]);
    expect(records).toHaveLength(rows.length);
    records.forEach((record, i) => {
      const flat = Object.fromEntries(flattenEntries(rows[i]).map(([k, v]) => [k, cellText(v)]));
      expect(record).toEqual({ ...flat, [EXTRA_COLUMN]: '' });
    });

    // What `import create` makes of the exported CSV: the same create fields, with their JSON types.
    const text = await readFile(path.join(dir, 'rt.csv'), 'utf8');
    const again = await exportTo('rt2.csv', '--per-page', '7');
    expect(again.code).toBe(0);
    expect(await readFile(path.join(dir, 'rt2.csv'), 'utf8')).toBe(text);
    for (const [i, record] of records.entries()) {
      const back = csvRecordToBody(header, header.map((h) => record[h]!), CREATE_SCHEMA);
      if (!back.ok) throw new Error(`record ${i}: ${JSON.stringify(back.problems)}`);
      for (const field of schemaFields(CREATE_SCHEMA)) {
        const original = rows[i]![field];
        expect(back.body[field], `record ${i} ${field}`).toEqual(original === null || original === '' ? undefined : original);
      }
    }
  });

  it('streams to stdout without --out: data on stdout, the summary alone on stderr', async () => {
    const run = await runCli(['export', 'get-all', '--gateway', stack.url, '--format', 'jsonl', '--per-page', '120']);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(seeded);
    expect(run.stderr).toMatch(/^exported \d+ assets \(3 pages of 120\) in [\d.]+ s\n$/);
  });

  it('refuses usage mistakes with exit 2 before any request', async () => {
    stack.sim.resetCalls();
    const cases = [
      ['--format', 'xml'],
      ['--per-page', '0'],
      ['--resume'],
      ['--bogus'],
    ];
    for (const args of cases) {
      const run = await runCli(['export', 'get-all', '--gateway', stack.url, ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/error/);
    }
    expect(stack.sim.calls()['GET /v1/asset'] ?? 0).toBe(0);
  });

  it('fails with exit 1 when stdout cannot be written (a full disk), and stops quietly when the reader closes stdout', async () => {
    for (const format of ['jsonl', 'csv', 'json']) {
      const full = await runCliStdout(['export', 'get-all', '--gateway', stack.url, '--format', format, '--no-progress'], '/dev/full');
      expect(full.code, `${format}: ${full.stderr}`).toBe(1);
      expect(full.stderr).toMatch(/^error: cannot write the export to stdout: ENOSPC/m);
      expect(full.stderr).not.toContain('exported');
    }
    // `| head -1`: the reader goes away after one chunk. Not an error.
    const cut = await runCliStdout(['export', 'get-all', '--gateway', stack.url, '--format', 'jsonl', '--per-page', '10', '--no-progress'], 'close-after-first-chunk');
    expect(cut.firstChunk).not.toBe('');
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/^exported \d+ assets .*then the reader closed stdout\n$/);
  });

  it('refuses a page size over 500, a directory as --out and an unknown --out extension (exit 2, named), before any request', async () => {
    stack.sim.resetCalls();
    const tooBig = await runCli(['export', 'get-all', '--gateway', stack.url, '--per-page', '501']);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toContain('must be an integer from 1 to 500');
    expect(stack.sim.calls()['GET /v1/asset'] ?? 0).toBe(0);
    expect((await runCli(['export', 'get-all', '--gateway', stack.url, '--per-page', '500', '--format', 'jsonl'])).code).toBe(0);

    const sub = path.join(dir, 'a-directory');
    await mkdir(sub);
    const toDir = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', sub]);
    expect(toDir.code).toBe(2);
    expect(toDir.stderr).toMatch(/^error: --out .*a-directory is a directory/);
    // Nothing written next to it.
    expect((await readdir(dir)).filter((f) => f.startsWith('a-directory'))).toEqual(['a-directory']);
    expect(await readdir(sub)).toEqual([]);

    const xlsx = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', path.join(dir, 'inv.xlsx')]);
    expect(xlsx.code).toBe(2);
    expect(xlsx.stderr).toContain('.csv, .jsonl, .ndjson or .json');
    expect((await readdir(dir)).filter((f) => f.startsWith('inv.'))).toEqual([]);
    expect(stack.sim.calls()['GET /v1/asset']).toBe(1); // the one page of 500 above, nothing since
    // The explicit --format still writes any name.
    expect((await runCli(['export', 'get-all', '--gateway', stack.url, '--out', path.join(dir, 'inv.dat'), '--format', 'jsonl'])).code).toBe(0);
  });

  it('fails at once with exit 1 when the gateway cannot be reached, leaving nothing behind', async () => {
    const out = path.join(dir, 'unreachable.csv');
    const started = Date.now();
    const run = await runCli(['export', 'get-all', '--gateway', 'http://127.0.0.1:9', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: page 1: cannot reach the gateway at http:\/\/127\.0\.0\.1:9: connection refused/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await readdir(dir)).filter((f) => f.startsWith('unreachable'))).toEqual([]);
  });

  it('stops with exit 1 and the gateway message on an error that retrying cannot fix', async () => {
    const unsigned = await startStack();
    try {
      const run = await runCli(['export', 'get-all', '--gateway', unsigned.url, '--out', path.join(dir, 'unsigned.csv')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: page 1: HTTP 401: /);
      expect(run.stderr).toContain('(sign the gateway in with `evercycle-gateway login`)');
      expect(unsigned.sim.calls()['GET /v1/asset'] ?? 0).toBe(0);
    } finally {
      await unsigned.close();
    }
  });
});

describe('export get-all through a flaky or slow upstream', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('evgw-export-faults-');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('retries pages answered 429/503 after their Retry-After, and still exports every asset once', async () => {
    // One try per call in the gateway, so every injected fault reaches the command.
    const stack = await startStack({ env: ONE_TRY, simulator: { faultSeed: 7 } });
    try {
      await signIn(stack);
      const expected = await gatewayAssets(stack);
      stack.sim.faults.set('GET /v1/asset', { errorRate: 0.25, errorStatuses: [503], rateLimitRate: 0.15, retryAfter: 1 });
      const out = path.join(dir, 'flaky.jsonl');
      const run = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--per-page', '50'], { timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(0);
      const faults = stack.sim.faultCounts()['GET /v1/asset']!;
      expect(faults.errors + faults.rateLimited).toBeGreaterThan(0);
      expect(run.stderr.match(/trying again in 1\.0 s/g)?.length).toBe(faults.errors + faults.rateLimited);
      expect(await readJsonLines(out)).toEqual(expected);
    } finally {
      await stack.close();
    }
  }, 60_000);

  it('gives up with exit 1 when asked to wait longer than a minute', async () => {
    const stack = await startStack({ env: ONE_TRY });
    try {
      await signIn(stack);
      stack.sim.faults.set('GET /v1/asset', { rateLimitRate: 1, retryAfter: 600 });
      const run = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', path.join(dir, 'limited.csv')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: page 1: HTTP 429: .*asked to retry after 600 s/);
    } finally {
      await stack.close();
    }
  });

  for (const format of ['csv', 'json'] as const) {
    it(`resumes a ${format} export killed mid-way (SIGKILL): no row missing, none twice`, async () => {
      const stack = await startStack();
      try {
        await signIn(stack);
        const fresh = path.join(dir, `fresh.${format}`);
        expect((await runCli(['export', 'get-all', '--gateway', stack.url, '--out', fresh, '--per-page', '10'])).code).toBe(0);

        const out = path.join(dir, `killed.${format}`);
        const state = `${out}.resume.json`;
        stack.sim.faults.set('GET /v1/asset', { latencyMs: 60 });
        const proc = startCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--per-page', '10']);
        await waitUntil('5 pages are recorded', async () => ((JSON.parse(await readFile(state, 'utf8').catch(() => '{}')) as { pages_done?: number }).pages_done ?? 0) >= 5);
        proc.child.kill('SIGKILL');
        await proc.exited;
        stack.sim.faults.clear();
        // A page half written when the process died: the resume must cut it off.
        await appendFile(`${out}.partial`, format === 'csv' ? '301,1,1,Laptop,"half a ro' : ',\n{"id": 301, "half":');
        await expect(stat(out)).rejects.toThrow();

        const refused = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--per-page', '10']);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(`${out}.partial exists: an earlier export to ${out} was interrupted. Continue it with --resume`);
        const mismatch = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--resume', '--per-page', '20']);
        expect(mismatch.code).toBe(2);
        expect(mismatch.stderr).toMatch(/cannot resume .*reads 10 assets per page, not 20/);

        stack.sim.resetCalls();
        const resumed = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--resume']);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/^resuming: \d+ assets \(\d+ pages\) already in /);
        const pagesBefore = Number(/\((\d+) pages\)/.exec(resumed.stderr)![1]);
        expect(pagesBefore).toBeGreaterThanOrEqual(5);
        // Only the pages not yet recorded were read again.
        expect(stack.sim.calls()['GET /v1/asset']).toBe(30 - pagesBefore);
        // Byte for byte what an uninterrupted export writes: every row once, in order.
        expect(await readFile(out, 'utf8')).toBe(await readFile(fresh, 'utf8'));
        await expect(stat(`${out}.partial`)).rejects.toThrow();
        await expect(stat(state)).rejects.toThrow();
      } finally {
        await stack.close();
      }
    }, 30_000);
  }

  it('stops on Ctrl-C with exit 130 and a --resume hint, and the resumed file is complete', async () => {
    const stack = await startStack();
    try {
      await signIn(stack);
      const expected = await gatewayAssets(stack);
      const out = path.join(dir, 'interrupted.jsonl');
      stack.sim.faults.set('GET /v1/asset', { latencyMs: 60 });
      const proc = startCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--per-page', '10']);
      await waitUntil('3 pages are recorded', async () => ((JSON.parse(await readFile(`${out}.resume.json`, 'utf8').catch(() => '{}')) as { pages_done?: number }).pages_done ?? 0) >= 3);
      proc.child.kill('SIGINT');
      const exit = await proc.exited;
      expect(exit.code).toBe(130);
      expect(proc.stdout()).toBe('');
      expect(proc.stderr()).toContain(`error: interrupted by SIGINT; what was exported so far is in ${out}.partial: run the same command with --resume to continue`);
      stack.sim.faults.clear();
      const resumed = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--resume']);
      expect(resumed.code).toBe(0);
      const rows = await readJsonLines(out);
      expect(rows.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      expect(rows).toEqual(expected);
    } finally {
      await stack.close();
    }
  }, 30_000);

  it('starts afresh with --resume when there is nothing to resume, and overwrites nothing else', async () => {
    const stack = await startStack();
    try {
      await signIn(stack);
      const out = path.join(dir, 'nothing.jsonl');
      await writeFile(`${out}.resume.json`, '{"stale": true}');
      // A stale state without its partial file is dropped, not trusted.
      const run = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', out, '--resume', '--per-page', '500']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`nothing to resume for ${out}: starting a new export`);
      expect((await readJsonLines(out)).length).toBe((await gatewayAssets(stack)).length);
    } finally {
      await stack.close();
    }
  });
});
