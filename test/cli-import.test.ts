// `evercycle-gateway import create`: the real command as a child process against a real
// gateway and simulator. Validation before anything is sent, exit codes and the
// stdout/stderr split, interruption by Ctrl-C and by SIGKILL half-way and the resumed run
// (every valid row created exactly once, counted in the simulator), answers lost in
// transit, refused rows, the result file; plus the pure pieces (conversion, journal
// replay, the in-doubt matcher).
import { readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileBodyValidator } from '../src/definitions/index.js';
import { forbiddenKey, judgeRow } from '../src/cli/bulk/check.js';
import { coerceCell, csvRecordToBody, jsonLineToBody, pointerToField } from '../src/cli/bulk/coerce.js';
import { replayJournal } from '../src/cli/bulk/journal-replay.js';
import { POST_RETRY_STATUSES, retryDecision } from '../src/cli/bulk/retry.js';
import { bodyHash, canonicalJson } from '../src/cli/bulk/row-hash.js';
import { createdId } from '../src/cli/bulk/send.js';
import { DoubtMatcher } from '../src/cli/bulk/verify.js';
import { runCli } from './helpers/cli.js';
import { gatewayAssets, importCsv, journalCount, readCsv, readJsonLines, serialCounts, startCli, waitUntil } from './helpers/cli-bulk.js';
import { REPO_ROOT, signIn, startStack, tempDir, type Stack } from './helpers/stack.js';

const CREATE_SCHEMA = JSON.parse(await readFile(path.join(REPO_ROOT, 'apis', 'create.json'), 'utf8')).body as Record<string, unknown>;
const CREATE = 'POST /v1/asset/create';

describe('CSV conversion (pure)', () => {
  it('converts a cell only towards a type the schema allows; empty means absent', () => {
    expect(coerceCell('2023', ['integer', 'null'])).toBe(2023);
    expect(coerceCell('2023', ['string', 'null'])).toBe('2023');
    expect(coerceCell('2023.5', ['integer', 'null'])).toBe('2023.5');
    expect(coerceCell('-1.5e3', ['number'])).toBe(-1500);
    expect(coerceCell('TRUE', ['boolean', 'null'])).toBe(true);
    expect(coerceCell('maybe', ['boolean'])).toBe('maybe');
    expect(coerceCell('[1,2]', ['array'])).toEqual([1, 2]);
    expect(coerceCell('{"a":1}', ['array'])).toBe('{"a":1}');
    expect(coerceCell('', ['integer'])).toBeUndefined();
    expect(coerceCell('x', undefined)).toBe('x');
    expect(coerceCell('99999999999999999999', ['integer'])).toBe('99999999999999999999');
  });

  it('builds a body: typed fields, dotted columns nested, _extra merged, problems named', () => {
    const schema = { type: 'object', properties: { year: { type: ['integer', 'null'] }, owner: { type: 'object', properties: { age: { type: 'integer' } } } } };
    expect(csvRecordToBody(['year', 'owner.age', 'owner.name', 'note', '_extra'], ['2020', '41', 'Ann', '', '{"tags":["a"]}'], schema)).toEqual({
      ok: true,
      body: { year: 2020, owner: { age: 41, name: 'Ann' }, tags: ['a'] },
    });
    expect(csvRecordToBody(['a', 'b'], ['1'], schema)).toEqual({ ok: false, problems: [{ field: '', message: 'has 1 fields, the header has 2' }] });
    expect(csvRecordToBody(['_extra'], ['[1]'], schema)).toEqual({ ok: false, problems: [{ field: '_extra', message: 'must be a JSON object of extra fields' }] });
    expect(csvRecordToBody(['a', 'a.b'], ['1', '2'], schema)).toMatchObject({ ok: false, problems: [{ field: 'a.b' }] });
    expect(jsonLineToBody('{"a":1}')).toEqual({ ok: true, body: { a: 1 } });
    expect(jsonLineToBody('[1]')).toEqual({ ok: false, problems: [{ field: '', message: 'must be a JSON object' }] });
    expect(jsonLineToBody('{oops')).toEqual({ ok: false, problems: [{ field: '', message: 'is not valid JSON' }] });
  });

  it('reports schema violations by dotted field, with the offending value', () => {
    const validate = compileBodyValidator(CREATE_SCHEMA);
    expect(judgeRow({ ok: true, body: { year: 'twenty', archived: true } }, validate)).toEqual({ ok: false, problems: [{ field: 'year', message: 'must be integer,null (got "twenty")' }] });
    expect(judgeRow({ ok: true, body: { year: 2020 } }, validate)).toEqual({ ok: true, body: { year: 2020 } });
    expect(pointerToField('/owner/a~1b')).toBe('owner.a/b');
  });

  it('fingerprints a body whatever its key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":1,"f":2}]},"b":1}');
    expect(bodyHash({ a: 1, b: 2 })).toBe(bodyHash({ b: 2, a: 1 }));
    expect(bodyHash({ a: 1 })).not.toBe(bodyHash({ a: '1' }));
  });
});

describe('sending decisions (pure)', () => {
  it('resends a POST only after answers that prove nothing was created', () => {
    const policy = { retries: 3, statuses: POST_RETRY_STATUSES, retryWithoutAnswer: false };
    expect(retryDecision({ status: 429, retryAfter: '1', failures: 1 }, policy)).toEqual({ retry: true, waitMs: 1000 });
    expect(retryDecision({ status: 503, retryAfter: '2', failures: 1 }, policy)).toEqual({ retry: true, waitMs: 2000 });
    for (const status of [500, 502, 504, 400]) expect(retryDecision({ status, failures: 1 }, policy)).toEqual({ retry: false });
    expect(retryDecision({ failures: 1 }, policy)).toEqual({ retry: false });
    expect(createdId({ status: 'success', data: { id: 412 } })).toBe(412);
    expect(createdId({ status: 'success', data: null })).toBeNull();
  });
});

describe('journal replay (pure)', () => {
  const at = '2025-06-01T00:00:00.000Z';
  const lines = (...events: object[]) => events.map((e) => JSON.stringify({ at, ...e })).join('\n') + '\n';

  it('adds events up per line: created sticks, sending without an answer is in doubt, failed and absent may be sent again', () => {
    const replay = replayJournal(
      lines(
        { event: 'start', version: 1, input: '/x.csv', gateway: 'http://g' },
        { event: 'sending', line: 2, hash: 'h2' },
        { event: 'created', line: 2, id: 301 },
        { event: 'sending', line: 3, hash: 'h3' },
        { event: 'sending', line: 4, hash: 'h4' },
        { event: 'failed', line: 4, status: 400, error: 'HTTP 400: bad' },
        { event: 'sending', line: 5, hash: 'h5' },
        { event: 'unknown', line: 5, error: 'HTTP 502' },
        { event: 'sending', line: 6, hash: 'h6' },
        { event: 'unknown', line: 6, error: 'HTTP 504' },
        { event: 'absent', line: 6 },
        { event: 'sending', line: 2, hash: 'h2' },
        { event: 'failed', line: 2, status: 400, error: 'late' },
      ),
    );
    expect(replay.start?.input).toBe('/x.csv');
    expect(Object.fromEntries([...replay.lines].map(([l, s]) => [l, s.status]))).toEqual({ 2: 'created', 3: 'in_doubt', 4: 'not_created', 5: 'in_doubt', 6: 'not_created' });
    expect(replay.lines.get(2)).toMatchObject({ id: 301, hash: 'h2' });
    expect(replay.lines.get(3)).toMatchObject({ hash: 'h3', sentAt: Date.parse(at) });
    expect([...replay.claimedIds]).toEqual(['301']);
  });

  it('ignores a last line cut short by a crash, but refuses damage anywhere else', () => {
    const text = lines({ event: 'sending', line: 2, hash: 'h' }) + '{"event":"created","li';
    expect(replayJournal(text).lines.get(2)?.status).toBe('in_doubt');
    expect(() => replayJournal(`garbage\n${lines({ event: 'sending', line: 2, hash: 'h' })}`)).toThrow(/journal line 1/);
    expect(() => replayJournal(lines({ event: 'created', line: 0, id: 1 }))).toThrow(/journal line 1/);
  });
});

describe('finding rows in doubt (pure)', () => {
  const sentAt = Date.parse('2025-06-02T12:00:00Z');
  const asset = (id: number, serial: string, extra: object = {}) => ({ id, serial_number: serial, make: 'Apple', created_at: '2025-06-02T12:00:01Z', ...extra });
  const judge = (rows: { line: number; body: Record<string, unknown> }[], assets: unknown[], claimed: string[] = []) => {
    const matcher = new DoubtMatcher(
      rows.map((r) => ({ ...r, sentAt })),
      new Set(claimed),
    );
    for (const a of assets) matcher.see(a);
    return matcher.verdicts();
  };

  it('finds the one recent asset equal to the row, and says absent when no recent asset shares its serial', () => {
    const body = { serial_number: 'SN-1', make: 'Apple', unknown_to_api: 'x' };
    expect(judge([{ line: 2, body }], [asset(5, 'SN-0'), asset(9, 'SN-1')])).toEqual([{ line: 2, kind: 'created', id: 9 }]);
    expect(judge([{ line: 2, body }], [asset(5, 'SN-0')])).toEqual([{ line: 2, kind: 'absent' }]);
    // Older than the send (beyond the clock-skew allowance): someone else's asset.
    expect(judge([{ line: 2, body }], [asset(5, 'SN-1', { created_at: '2025-06-01T00:00:00Z' })])).toEqual([{ line: 2, kind: 'absent' }]);
    // Already another line's asset, per the journal.
    expect(judge([{ line: 2, body }], [asset(9, 'SN-1')], ['9'])).toEqual([{ line: 2, kind: 'absent' }]);
  });

  it('never guesses: several candidates, a differing one, or one asset claimed by two rows is unclear', () => {
    const body = { serial_number: 'SN-1', make: 'Apple' };
    expect(judge([{ line: 2, body }], [asset(8, 'SN-1'), asset(9, 'SN-1')])).toEqual([{ line: 2, kind: 'unclear', candidates: [8, 9] }]);
    expect(judge([{ line: 2, body }], [asset(9, 'SN-1', { make: 'Dell' })])).toEqual([{ line: 2, kind: 'unclear', candidates: [9] }]);
    // The serial as the API may have normalised it: a candidate, but not provably the row's.
    expect(judge([{ line: 2, body }], [asset(9, ' sn-1 ')])).toEqual([{ line: 2, kind: 'unclear', candidates: [9] }]);
    expect(
      judge(
        [
          { line: 2, body },
          { line: 3, body },
        ],
        [asset(9, 'SN-1')],
      ),
    ).toEqual([
      { line: 2, kind: 'unclear', candidates: [9] },
      { line: 3, kind: 'unclear', candidates: [9] },
    ]);
    // Without a serial number every recent unclaimed asset is a candidate.
    expect(judge([{ line: 2, body: { make: 'Apple' } }], [asset(9, 'X'), asset(10, 'Y')])).toEqual([{ line: 2, kind: 'unclear', candidates: [9, 10] }]);
  });
});

describe('comparing a doubtful row with only the create fields (pure)', () => {
  it('leaves out read-only columns and keys the create schema does not define', () => {
    const sentAt = Date.parse('2025-06-02T12:00:00Z');
    // A row of an export: id, timestamps, status, organization_id and an _extra key ride along.
    const body = { id: 17, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-02T00:00:00Z', status: 'received', organization_id: 3, legacy_tag: 'x', serial_number: 'SN-1', make: 'Apple', year: 2020 };
    const asset = { id: 901, created_at: '2025-06-02T12:00:01Z', updated_at: '2025-06-02T12:00:01Z', status: 'pending', organization_id: 1, legacy_tag: 'y', serial_number: 'SN-1', make: 'Apple', year: 2020 };
    const matcher = new DoubtMatcher([{ line: 2, body, sentAt }], new Set(), CREATE_SCHEMA);
    matcher.see(asset);
    expect(matcher.verdicts()).toEqual([{ line: 2, kind: 'created', id: 901 }]);
    // A create field that differs still counts.
    const other = new DoubtMatcher([{ line: 2, body, sentAt }], new Set(), CREATE_SCHEMA);
    other.see({ ...asset, year: 2021 });
    expect(other.verdicts()).toEqual([{ line: 2, kind: 'unclear', candidates: [901] }]);
  });

  it('finds the keys the gateway refuses anywhere in a body', () => {
    expect(forbiddenKey(JSON.parse('{"a":{"b":[{"__proto__":{"x":1}}]}}'), '')).toBe('a.b.0.__proto__');
    expect(forbiddenKey({ a: { constructor: { prototype: {} } } }, '')).toBe('a.constructor.prototype');
    expect(forbiddenKey({ constructor: 'fine', prototype: 'fine too' }, '')).toBeUndefined();
  });
});

describe('import create over a real gateway', () => {
  let stack: Stack;
  let dir: string;

  beforeEach(async () => {
    stack = await startStack({ simulator: { faultSeed: 11 } });
    await signIn(stack);
    dir = await tempDir('evgw-import-');
  });
  afterEach(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const importArgs = (file: string, ...args: string[]) => ['import', 'create', '--gateway', stack.url, '--from', file, ...args];
  const creates = () => stack.sim.calls()[CREATE] ?? 0;

  /** 500 rows, 10 of them invalid, spread through the file. */
  async function fiveHundred(prefix: string) {
    const file = importCsv(500, [3, 57, 101, 150, 222, 260, 311, 377, 420, 499], prefix);
    const csv = path.join(dir, `${prefix}.csv`);
    await writeFile(csv, file.csv);
    return { ...file, path: csv, journal: `${csv}.journal`, results: `${csv}.results.csv` };
  }

  /** After the whole import: every valid row created exactly once, the result file complete. */
  async function expectImported(file: Awaited<ReturnType<typeof fiveHundred>>, prefix: string) {
    const counts = serialCounts(await gatewayAssets(stack), prefix);
    expect(counts.size).toBe(490);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...counts.keys()].sort()).toEqual([...file.validSerials].sort());
    const { header, records } = await readCsv(file.results);
    expect(header).toEqual(['line', 'status', 'id', 'error']);
    expect(records.map((r) => Number(r.line))).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
    const invalidLines = new Set(file.invalid.map((i) => i.line));
    for (const r of records) expect(r.status, `line ${r.line}`).toBe(invalidLines.has(Number(r.line)) ? 'invalid' : 'created');
    const ids = records.filter((r) => r.status === 'created').map((r) => r.id);
    expect(new Set(ids).size).toBe(490);
    // The ids are the assets' own: line N holds the serial the asset with that id carries.
    const byId = new Map((await gatewayAssets(stack)).map((a) => [String(a.id), a.serial_number]));
    for (const r of records.filter((x) => x.status === 'created')) expect(byId.get(r.id!)).toBe(`${prefix}-${String(Number(r.line) - 2).padStart(4, '0')}`);
  }

  it('validates every row first: lists each invalid row with line and field, sends nothing, exit 1', async () => {
    const file = await fiveHundred('VAL');
    const run = await runCli(importArgs(file.path));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const reported = run.stderr.split('\n').filter((l) => l.startsWith('line '));
    expect(reported).toHaveLength(10);
    for (const [i, bad] of file.invalid.entries()) expect(reported[i]).toMatch(new RegExp(`^line ${bad.line}: ${bad.field}: must be `));
    expect(run.stderr).toContain(`${file.path}: 500 rows, 490 valid, 10 invalid`);
    expect(run.stderr).toMatch(/error: 10 invalid rows \(listed above\): nothing was sent\. .*--skip-invalid/);
    expect(creates()).toBe(0);
    // Nothing started: no journal, no result file, no lock left.
    await expect(readFile(file.journal)).rejects.toThrow();
    await expect(readFile(file.results)).rejects.toThrow();
    await expect(readFile(`${file.journal}.lock`)).rejects.toThrow();

    const check = await runCli(importArgs(file.path, '--validate-only'));
    expect(check.code).toBe(1);
    expect(creates()).toBe(0);
  });

  it('Ctrl-C half-way: stops after the rows in flight (exit 130); the re-run creates the rest, each valid row exactly once', async () => {
    const file = await fiveHundred('INT');
    stack.sim.faults.set(CREATE, { latencyMs: 15 });
    const proc = startCli(importArgs(file.path, '--skip-invalid', '--concurrency', '4'));
    await waitUntil('250 rows are created', async () => (await journalCount(file.journal, 'created')) >= 250);
    proc.child.kill('SIGINT');
    const exit = await proc.exited;
    expect(exit.code).toBe(130);
    expect(proc.stderr()).toContain('SIGINT: stopping after the work in flight');
    expect(proc.stderr()).toMatch(/error: interrupted by SIGINT; run the same command again to continue\n$/);
    const summary = JSON.parse(proc.stdout()) as Record<string, number>;
    expect(summary.created).toBeGreaterThanOrEqual(250);
    expect(summary.created).toBeLessThan(490);
    expect(summary).toMatchObject({ rows: 500, invalid: 10, in_doubt: 0, failed: 0, not_sent: 490 - summary.created! });
    // Stopped cleanly: every POST sent got its answer recorded.
    expect(await journalCount(file.journal, 'sending')).toBe(await journalCount(file.journal, 'created'));
    expect(creates()).toBe(summary.created);
    const partial = await readCsv(file.results);
    expect(partial.records.filter((r) => r.status === 'not_sent')).toHaveLength(490 - summary.created!);

    stack.sim.faults.clear();
    const again = await runCli(importArgs(file.path, '--skip-invalid'));
    expect(again.code).toBe(1); // the 10 invalid rows are not created
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 500, created: 490, invalid: 10, failed: 0, in_doubt: 0, not_sent: 0, created_this_run: 490 - summary.created! });
    expect(again.stderr).toMatch(/error: 10 of 500 rows not created\n$/);
    expect(creates()).toBe(490);
    await expectImported(file, 'INT');
  }, 40_000);

  it('SIGKILL half-way: the re-run looks up the rows whose answers were lost and never creates a device twice', async () => {
    const file = await fiveHundred('KIL');
    // The simulator creates at once and answers 80 ms later: a kill always finds POSTs
    // that created their asset without the command hearing of it.
    stack.sim.faults.set(CREATE, { latencyMs: 80 });
    const proc = startCli(importArgs(file.path, '--skip-invalid', '--concurrency', '8'));
    await waitUntil('200 rows are created', async () => (await journalCount(file.journal, 'created')) >= 200);
    proc.child.kill('SIGKILL');
    await proc.exited;
    const sent = await journalCount(file.journal, 'sending');
    const answered = await journalCount(file.journal, 'created');
    expect(sent).toBeGreaterThan(answered);
    // Let the gateway pass on what the killed command left in flight; a POST journaled as
    // `sending` an instant before the kill may never have left the process.
    let handled = -1;
    await waitUntil('the simulator saw every POST that left', async () => {
      const now = creates();
      const stable = now === handled;
      handled = now;
      await new Promise((r) => setTimeout(r, 200));
      return stable;
    });
    expect(handled).toBeGreaterThan(answered);
    expect(handled).toBeLessThanOrEqual(sent);

    stack.sim.faults.clear();
    const again = await runCli(importArgs(file.path, '--skip-invalid'));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${sent - answered} rows were sent by an earlier run without a recorded answer: looking them up (GET /api/get-all)`);
    expect(again.stderr).toContain(`looked up: ${handled - answered} found created, ${sent - handled} not created (sent again), 0 unclear`);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 490, invalid: 10, in_doubt: 0, not_sent: 0, created_this_run: 490 - handled });
    expect(creates()).toBe(490);
    await expectImported(file, 'KIL');
  }, 40_000);

  it('answers lost in transit (502) leave rows in doubt; the re-run finds those created and sends again those that were not', async () => {
    const sim = stack.sim;
    const run = async (prefix: string, dropWhen: 'after-headers' | 'before-headers') => {
      const csv = path.join(dir, `${prefix}.csv`);
      await writeFile(csv, importCsv(40, [], prefix).csv);
      sim.faults.set(CREATE, { dropRate: 0.2, dropWhen });
      const first = await runCli(importArgs(csv, '--concurrency', '2'));
      sim.faults.clear();
      const summary = JSON.parse(first.stdout) as Record<string, number>;
      expect(first.code).toBe(1);
      expect(summary.in_doubt).toBeGreaterThan(0);
      expect(summary.created! + summary.in_doubt!).toBe(40);
      const doubtful = (await readCsv(`${csv}.results.csv`)).records.filter((r) => r.status === 'in_doubt');
      expect(doubtful).toHaveLength(summary.in_doubt!);
      expect(doubtful.every((r) => r.error!.startsWith('HTTP 502: '))).toBe(true);
      const last = await runCli(importArgs(csv));
      expect(last.code, last.stderr).toBe(0);
      expect(JSON.parse(last.stdout)).toMatchObject({ rows: 40, created: 40, in_doubt: 0 });
      const counts = serialCounts(await gatewayAssets(stack), prefix);
      expect(counts.size).toBe(40);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      return { inDoubt: summary.in_doubt!, stderr: last.stderr };
    };

    // Cut after the headers: the asset was created, the answer lost. Found, not resent.
    const after = await run('DRA', 'after-headers');
    expect(after.stderr).toContain(`looked up: ${after.inDoubt} found created, 0 not created (sent again), 0 unclear`);
    // Dropped before the simulator handled it: verifiably absent, so sent again.
    const before = await run('DRB', 'before-headers');
    expect(before.stderr).toContain(`looked up: 0 found created, ${before.inDoubt} not created (sent again), 0 unclear`);
    const faults = sim.faultCounts()[CREATE]!;
    expect(faults.real).toBe(80); // every asset created exactly once
    expect(faults.droppedAfterHeaders).toBe(after.inDoubt);
    expect(faults.dropped).toBe(before.inDoubt);
  }, 40_000);

  it('records rows the API refuses as failed with its message, and sends them again on a re-run', async () => {
    // Valid for the gateway's schema (nothing is required there), refused by Evercycle: no serial number.
    const jsonl = path.join(dir, 'mixed.jsonl');
    await writeFile(jsonl, ['{"asset_type_id":1,"serial_number":"REF-1"}', '', '{"asset_type_id":2}', '{"asset_type_id":3,"serial_number":"REF-3"}', ''].join('\n'));
    const run = await runCli(importArgs(jsonl));
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 3, created: 2, failed: 1 });
    expect(run.stderr).toMatch(/error: 1 of 3 rows not created: failed rows are sent again when the command runs again\n$/);
    const results = (await readFile(`${jsonl}.results.jsonl`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => [r.line, r.status])).toEqual([
      [1, 'created'],
      [3, 'failed'],
      [4, 'created'],
    ]);
    expect(results[1].error).toMatch(/^HTTP 400: /);
    // The API's per-field problems are kept, so the result file says what to fix.
    expect(results[1].error).toMatch(/\(.*serial_number: /);

    stack.sim.resetCalls();
    const again = await runCli(importArgs(jsonl));
    expect(again.code).toBe(1);
    expect(creates()).toBe(1); // only the failed row
  });

  it('reports the line a CSV row starts on (quoted newlines included) and bad JSON Lines by line', async () => {
    const csv = path.join(dir, 'lines.csv');
    await writeFile(csv, 'serial_number,damage_description,year\nL-1,"two\nlines",2020\n\nL-2,ok,soon\n');
    const run = await runCli(importArgs(csv, '--validate-only'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 5: year: must be integer,null (got "soon")');
    const jsonl = path.join(dir, 'bad.jsonl');
    await writeFile(jsonl, '{"serial_number":"J-1"}\n\n[1,2]\n{"year":"x"}\n');
    const bad = await runCli(importArgs(jsonl, '--validate-only'));
    expect(bad.stderr).toContain('line 3: (row): must be a JSON object');
    expect(bad.stderr).toContain('line 4: year: must be integer,null (got "x")');
    expect(creates()).toBe(0);
  });

  it('refuses with exit 2: an unknown file type, a missing file, a bad option, a busy or outdated journal', async () => {
    const file = importCsv(5, [], 'USE');
    const csv = path.join(dir, 'use.csv');
    await writeFile(csv, file.csv);
    for (const args of [importArgs(path.join(dir, 'x.txt')), importArgs(path.join(dir, 'missing.csv')), importArgs(csv, '--concurrency', '0'), ['import', 'create']]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
    }

    await writeFile(`${csv}.journal.lock`, `${process.pid}\n`); // this test process: alive
    const busy = await runCli(importArgs(csv));
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`another import (pid ${process.pid}) is using the journal ${csv}.journal`);
    await writeFile(`${csv}.journal.lock`, '999999999\n'); // gone: taken over
    expect((await runCli(importArgs(csv))).code).toBe(0);
    expect(creates()).toBe(5);

    // Editing a row that was already sent would make the journal lie about it.
    await writeFile(csv, file.csv.replace('USE-0002', 'USE-XXXX'));
    const changed = await runCli(importArgs(csv));
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain(`no longer holds the rows the journal ${csv}.journal recorded as sent (line 4)`);
    expect(creates()).toBe(5);
  });

  it('numbers lines right in a CRLF file whose last row ends in LF only, and any mix of CRLF, LF, CR and quoted newlines', async () => {
    // Saved by Excel (CRLF), one more row added by `echo >>` (LF).
    const csv = path.join(dir, 'mix.csv');
    await writeFile(csv, 'asset_type_id,serial_number\r\n1,MIX-A\r\n1,MIX-B\n');
    const run = await runCli(importArgs(csv, '--no-progress'));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 2, created: 2, created_this_run: 2 });
    const { records } = await readCsv(`${csv}.results.csv`);
    expect(records.map((r) => [r.line, r.status])).toEqual([
      ['2', 'created'],
      ['3', 'created'],
    ]);
    const byId = new Map((await gatewayAssets(stack)).map((a) => [String(a.id), a.serial_number]));
    expect(records.map((r) => byId.get(r.id!))).toEqual(['MIX-A', 'MIX-B']);
    const sent = (await readJsonLines(`${csv}.journal`)).filter((e) => e.event === 'sending').map((e) => e.line);
    expect(sent.sort()).toEqual([2, 3]);
    // The unchanged file: a no-op, not "changed".
    const again = await runCli(importArgs(csv, '--no-progress'));
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 2, created: 2, created_this_run: 0 });
    expect(creates()).toBe(2);

    // Every kind of line break in one file, a quoted CRLF and LF inside cells, an empty line.
    const mixed = path.join(dir, 'mixed.csv');
    await writeFile(mixed, 'serial_number,damage_description,year\r\nM-1,"a\r\nb",2020\nM-2,ok,2021\r\rM-3,"c\nd\ne",2022\r\nM-4,x,soon\nM-5,y,2023\r\nM-6,z,later');
    const check = await runCli(importArgs(mixed, '--validate-only'));
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${mixed}: 6 rows, 4 valid, 2 invalid`);
    expect(check.stderr).toContain('line 9: year: must be integer,null (got "soon")');
    expect(check.stderr).toContain('line 11: year: must be integer,null (got "later")');
  });

  it('settles rows left in doubt by an interrupted re-import of an export: read-only columns do not count', async () => {
    const exported = path.join(dir, 'inventory.csv');
    const exp = await runCli(['export', 'get-all', '--gateway', stack.url, '--out', exported]);
    expect(exp.code, exp.stderr).toBe(0);
    const lines = (await readFile(exported, 'utf8')).split('\n');
    const sub = path.join(dir, 'sub.csv');
    await writeFile(sub, `${lines.slice(0, 31).join('\n')}\n`);
    expect(lines[0]).toContain('created_at');

    // Created upstream, the answer lost: in doubt.
    stack.sim.faults.set(CREATE, { dropRate: 0.3, dropWhen: 'after-headers' });
    const first = await runCli(importArgs(sub, '--concurrency', '2', '--no-progress'));
    stack.sim.faults.clear();
    const summary = JSON.parse(first.stdout) as Record<string, number>;
    expect(first.code).toBe(1);
    expect(summary.in_doubt).toBeGreaterThan(0);
    expect(summary.created! + summary.in_doubt!).toBe(30);

    const again = await runCli(importArgs(sub, '--no-progress'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`looked up: ${summary.in_doubt} found created, 0 not created (sent again), 0 unclear`);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 30, created: 30, in_doubt: 0, created_this_run: 0 });
    expect(creates()).toBe(30);
    // Each exported serial now twice: the original and its one copy.
    const serials = (await readCsv(sub)).records.map((r) => r.serial_number!);
    const all = await gatewayAssets(stack);
    for (const serial of serials) expect(all.filter((a) => a.serial_number === serial), serial).toHaveLength(2);
  }, 40_000);

  it('uses one journal for a file whatever the path it is given by (a symlink)', async () => {
    const csv = path.join(dir, 's.csv');
    await writeFile(csv, importCsv(12, [], 'SYM').csv);
    const link = path.join(dir, 'link.csv');
    await symlink(csv, link);
    const first = await runCli(importArgs(csv, '--no-progress'));
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(importArgs(link, '--no-progress'));
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ rows: 12, created: 12, created_this_run: 0, journal: `${csv}.journal`, results: `${csv}.results.csv` });
    expect(creates()).toBe(12);
    expect((await readdir(dir)).filter((f) => f.startsWith('link.csv.'))).toEqual([]);
  });

  it('refuses before sending the rows the gateway would refuse: a "__proto__" or "constructor.prototype" key anywhere', async () => {
    const csv = path.join(dir, 'proto.csv');
    await writeFile(csv, 'serial_number,__proto__.polluted,year\nP-1,,2020\nP-2,yes,2020\n');
    const run = await runCli(importArgs(csv, '--validate-only'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 3: __proto__: this key is not allowed');
    expect(run.stderr).toContain(`${csv}: 2 rows, 1 valid, 1 invalid`);
    const jsonl = path.join(dir, 'proto.jsonl');
    await writeFile(jsonl, '{"serial_number":"P-3","location":{"constructor":{"prototype":{"x":1}}}}\n{"serial_number":"P-4"}\n');
    const sent = await runCli(importArgs(jsonl));
    expect(sent.code).toBe(1);
    expect(sent.stderr).toContain('line 1: location.constructor.prototype: this key is not allowed');
    expect(sent.stderr).toMatch(/nothing was sent/);
    expect(creates()).toBe(0);
  });

  it('stops at the first refusal of the gateway (not signed in) and completes after signing in', async () => {
    const unsigned = await startStack();
    try {
      const file = importCsv(40, [], 'AUT');
      const csv = path.join(dir, 'auth.csv');
      await writeFile(csv, file.csv);
      const run = await runCli(['import', 'create', '--gateway', unsigned.url, '--from', csv, '--concurrency', '2']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/error: stopped sending: HTTP 401: .* \(sign the gateway in with `evercycle-gateway login`\); run the same command again to continue\n$/);
      const summary = JSON.parse(run.stdout) as Record<string, number>;
      expect(summary.failed).toBeLessThanOrEqual(2);
      expect(summary.not_sent).toBe(40 - summary.failed!);
      await signIn(unsigned);
      const again = await runCli(['import', 'create', '--gateway', unsigned.url, '--from', csv]);
      expect(again.code).toBe(0);
      expect(unsigned.sim.calls()[CREATE]).toBe(40);
    } finally {
      await unsigned.close();
    }
  });
});
