// Definitions hot reload: a change in the apis/ folder is applied without a restart (folder
// watch, or SIGHUP); an invalid change is refused with a logged reason and the previous set
// stays live; requests running during reloads are never dropped.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { difference } from '../src/definitions/live.js';
import { createDefinitionSet, parseDefinition } from '../src/definitions/index.js';
import { makeApisDir } from './helpers/apis-dir.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { signIn, startStack, type Stack } from './helpers/stack.js';
import { createSimulator } from '../src/simulator/index.js';

const EXTRA = { method: 'GET', path: '/v1/asset/{id}', description: 'Asset by id, under a second name', params: { id: 'integer' } };

async function names(url: string): Promise<string[]> {
  const res = await fetch(`${url}/api/list`);
  const body = (await res.json()) as { apis: { name: string }[] };
  return body.apis.map((a) => a.name);
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('definitions reload: folder watch', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  async function start(): Promise<{ stack: Stack; dir: string }> {
    const dir = await makeApisDir();
    stack = await startStack({ env: { EVERCYCLE_APIS_DIR: dir } });
    await signIn(stack);
    return { stack, dir };
  }

  it('a new file becomes a callable API, an edit is followed, a removed file is gone', async () => {
    const { stack, dir } = await start();
    expect(await names(stack.url)).not.toContain('asset-by-id');

    await writeFile(path.join(dir, 'asset-by-id.json'), JSON.stringify(EXTRA));
    await until('the new API in /api/list', () => names(stack.url), (n) => n.includes('asset-by-id'));
    const asset = await fetch(`${stack.url}/api/asset-by-id/1`);
    expect(asset.status).toBe(200);
    expect(((await asset.json()) as { data: { id: number } }).data.id).toBe(1);

    await writeFile(path.join(dir, 'asset-by-id.json'), JSON.stringify({ ...EXTRA, description: 'renamed description' }));
    await until(
      'the edited description',
      async () => ((await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string; description: string }[] }).apis,
      (apis) => apis.some((a) => a.name === 'asset-by-id' && a.description === 'renamed description'),
    );

    await rm(path.join(dir, 'asset-by-id.json'));
    await until('the API removed', () => names(stack.url), (n) => !n.includes('asset-by-id'));
    const gone = await fetch(`${stack.url}/api/asset-by-id/1`);
    expect(gone.status).toBe(404);

    const reloaded = stack.logs.entries().filter((l) => l.msg === 'API definitions reloaded');
    expect(reloaded.some((l) => (l.added as string[]).includes('asset-by-id'))).toBe(true);
    expect(reloaded.some((l) => (l.changed as string[]).includes('asset-by-id'))).toBe(true);
    expect(reloaded.some((l) => (l.removed as string[]).includes('asset-by-id'))).toBe(true);
  });

  it('an invalid change is refused with the file and reason logged; the previous set stays live until it is fixed', async () => {
    const { stack, dir } = await start();
    const file = path.join(dir, 'get-asset-id.json');
    const original = await readFile(file, 'utf8');
    const before = await names(stack.url);

    await writeFile(file, '{"method": "GET", "path": ');
    const refused = await until(
      'the refusal log line',
      async () => stack.logs.entries().filter((l) => l.msg?.toString().startsWith('API definitions NOT reloaded')),
      (lines) => lines.length > 0,
    );
    const problems = refused[0]!.problems as { file: string; message: string }[];
    expect(problems.some((p) => p.file === file && /invalid JSON/.test(p.message))).toBe(true);
    expect(refused[0]!.level).toBe(50);

    // Still served by the previous definition.
    expect(await names(stack.url)).toEqual(before);
    expect((await fetch(`${stack.url}/api/get-asset-id/2`)).status).toBe(200);
    // The status page says so.
    const page = await (await fetch(`${stack.url}/`)).text();
    expect(page).toContain('id="definitions-error"');
    expect(page).toContain('invalid JSON');

    // A valid file with a wrong definition (unknown method) is refused too.
    await writeFile(file, JSON.stringify({ method: 'FETCH', path: '/v1/asset/{id}', description: 'x' }));
    await until(
      'a second refusal',
      async () => stack.logs.entries().filter((l) => l.msg?.toString().startsWith('API definitions NOT reloaded')),
      (lines) => lines.some((l) => (l.problems as { field?: string }[]).some((p) => p.field === 'method')),
    );
    expect((await fetch(`${stack.url}/api/get-asset-id/2`)).status).toBe(200);

    // Fixed: applied, and the page no longer shows the error.
    await writeFile(file, original.replace('Get Asset by ID', 'Get one asset'));
    await until(
      'the fix applied',
      async () => ((await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string; description: string }[] }).apis,
      (apis) => apis.some((a) => a.name === 'get-asset-id' && a.description === 'Get one asset'),
    );
    expect(await (await fetch(`${stack.url}/`)).text()).not.toContain('id="definitions-error"');
  });

  it('a folder replaced as a whole (mv, rm and re-create) is watched again, and its content applied', async () => {
    const { stack, dir } = await start();
    // mv new-folder apis: the watcher's folder is gone, a new one sits at the path.
    const replacement = await makeApisDir({ files: { 'asset-by-id.json': EXTRA } });
    await rm(dir, { recursive: true });
    await rename(replacement, dir);
    await until('the replacement folder applied', () => names(stack.url), (n) => n.includes('asset-by-id'), 10_000);
    await until(
      'the new folder watched',
      async () => stack.logs.entries().some((l) => l.msg === 'the API definitions folder was replaced: watching the new one'),
      (v) => v,
      10_000,
    );

    // And the new folder is watched: an edit in it is followed.
    await writeFile(path.join(dir, 'second-name.json'), JSON.stringify(EXTRA));
    await until('an edit in the new folder', () => names(stack.url), (n) => n.includes('second-name'), 10_000);

    // Gone: the definitions stay live; back: applied.
    await rm(dir, { recursive: true });
    await until('the missing-folder warning', async () => stack.logs.entries().some((l) => String(l.msg).startsWith('the API definitions folder is gone')), (v) => v, 10_000);
    expect((await fetch(`${stack.url}/api/asset-by-id/1`)).status).toBe(200);
    const back = await makeApisDir({ files: { 'third-name.json': EXTRA } });
    await rename(back, dir);
    await until('the folder back', () => names(stack.url), (n) => n.includes('third-name') && !n.includes('second-name'), 10_000);
  });

  it('a file rewritten without pause is still reloaded (the quiet period has a limit)', async () => {
    const { stack, dir } = await start();
    const file = path.join(dir, 'programs-list.json');
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    let tick = 0;
    let seen: string | undefined;
    const stopAt = Date.now() + 4000;
    while (Date.now() < stopAt && seen === undefined) {
      await writeFile(`${file}.tmp`, JSON.stringify({ ...original, description: `tick ${tick++}` }));
      await rename(`${file}.tmp`, file);
      const list = (await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string; description: string }[] };
      const description = list.apis.find((a) => a.name === 'programs-list')!.description;
      if (description.startsWith('tick')) seen = description;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Applied while the writes went on (every 50 ms, each inside the 250 ms quiet period).
    expect(seen).toMatch(/^tick \d+$/);
  });

  it('requests in flight during many reloads all succeed', async () => {
    const { stack, dir } = await start();
    const file = path.join(dir, 'get-all.json');
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    stack.sim.faults.set('*', { latencyMs: 20 });
    let stop = false;
    const statuses: number[] = [];
    const workers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const res = await fetch(`${stack.url}/api/get-all?per_page=5`);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    });
    for (let i = 0; i < 20; i++) {
      await writeFile(file, JSON.stringify({ ...original, description: `edit ${i}` }));
      await stack.gateway.reloadDefinitions('test');
    }
    stop = true;
    await Promise.all(workers);
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const list = (await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string; description: string }[] };
    expect(list.apis.find((a) => a.name === 'get-all')?.description).toBe('edit 19');
  });

  it('reloads asked for while one runs are not lost: the last state on disk wins', async () => {
    const { stack, dir } = await start();
    const file = path.join(dir, 'grade.json');
    const original = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const runs = [];
    for (let i = 0; i < 10; i++) {
      // Replaced atomically, so no reload can read a half-written file.
      await writeFile(`${file}.tmp`, JSON.stringify({ ...original, description: `grade ${i}` }));
      await rename(`${file}.tmp`, file);
      runs.push(stack.gateway.reloadDefinitions('test'));
    }
    const results = await Promise.all(runs);
    expect(results.every((r) => r.ok)).toBe(true);
    const list = (await (await fetch(`${stack.url}/api/list`)).json()) as { apis: { name: string; description: string }[] };
    expect(list.apis.find((a) => a.name === 'grade')?.description).toBe('grade 9');
  });
});

describe('definitions reload: SIGHUP on the real command', () => {
  let proc: CliProcess | undefined;
  let sim: ReturnType<typeof createSimulator> | undefined;
  afterEach(async () => {
    await proc?.stop();
    await sim?.close();
    proc = undefined;
    sim = undefined;
  });

  it('with watching off, a change is applied on SIGHUP and not before; a bad folder on SIGHUP keeps the process serving', async () => {
    sim = createSimulator();
    const simUrl = await sim.listen();
    const dir = await makeApisDir();
    proc = spawnServe({ PORT: '0', EVERCYCLE_BASE_URL: simUrl, EVERCYCLE_APIS_DIR: dir, EVERCYCLE_DATA_DIR: path.join(dir, 'data'), DEFINITIONS_WATCH: 'false' });
    const url = await waitForListening(proc);

    await writeFile(path.join(dir, 'asset-by-id.json'), JSON.stringify(EXTRA));
    await new Promise((r) => setTimeout(r, 600));
    expect(await names(url)).not.toContain('asset-by-id');

    proc.child.kill('SIGHUP');
    await until('the API after SIGHUP', () => names(url), (n) => n.includes('asset-by-id'));
    // The log line may reach us after the answer: the child's stdout is a pipe.
    await until('the SIGHUP reload log line', async () => proc!.logs().some((l) => l.msg === 'API definitions reloaded' && l.trigger === 'SIGHUP'), (found) => found);

    await writeFile(path.join(dir, 'create.json'), 'not json');
    proc.child.kill('SIGHUP');
    await until('the refusal', async () => proc!.logs().filter((l) => String(l.msg).startsWith('API definitions NOT reloaded')), (l) => l.length > 0);
    expect(await names(url)).toContain('create');
    expect(await names(url)).toContain('asset-by-id');
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});

describe('difference()', () => {
  const def = (name: string, description: string) => parseDefinition(name, { method: 'GET', path: '/v1/x', description }, `${name}.json`);

  it('names what was added, removed and changed', () => {
    const before = createDefinitionSet([def('a', 'one'), def('b', 'two'), def('c', 'three')]);
    const after = createDefinitionSet([def('a', 'one'), def('b', 'TWO'), def('d', 'four')]);
    expect(difference(before, after)).toEqual({ added: ['d'], removed: ['c'], changed: ['b'] });
    expect(difference(after, after)).toEqual({ added: [], removed: [], changed: [] });
  });
});
