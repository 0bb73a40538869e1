import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DefinitionError } from '../src/definitions/errors.js';
import { loadDefinitions, MAX_DEFINITION_BYTES } from '../src/definitions/load.js';

const getAll = { method: 'GET', path: '/v1/asset', description: 'Get all Assets' };
const getById = { method: 'GET', path: '/v1/asset/{id}', description: 'Get Asset by ID', params: { id: 'integer' } };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'definitions-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: unknown): Promise<void> {
  await writeFile(path.join(dir, name), typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content));
}

async function loadError(folder = dir): Promise<DefinitionError> {
  const err: unknown = await loadDefinitions(folder).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DefinitionError);
  return err as DefinitionError;
}

describe('loadDefinitions: valid folders', () => {
  it('loads every *.json file, ignoring other files and subfolders', async () => {
    await write('get-asset-id.json', getById);
    await write('get-all.json', getAll);
    await write('README.md', '# not a definition');
    await write('notes.json.bak', '{ broken');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'nested.json'), '{ broken');
    await mkdir(path.join(dir, 'folder.json'));

    const set = await loadDefinitions(dir);
    expect(set.list().map((d) => d.name)).toEqual(['get-all', 'get-asset-id']);
    expect(set.get('get-asset-id')?.path).toBe('/v1/asset/{id}');
    expect(set.get('get-asset-id')?.params).toEqual({ id: 'integer' });
    expect(set.get('get-all')?.method).toBe('GET');
    expect(set.get('nested')).toBeUndefined();
  });

  it('sorts list() by name', async () => {
    for (const name of ['b', 'a-2', 'a', 'a_1', '0z']) await write(`${name}.json`, getAll);
    const set = await loadDefinitions(dir);
    expect(set.list().map((d) => d.name)).toEqual(['0z', 'a', 'a-2', 'a_1', 'b']);
  });

  it('get() only looks names up: no paths, no inherited properties', async () => {
    await write('get-all.json', getAll);
    await write('x.json', getAll);
    const set = await loadDefinitions(dir);
    for (const name of ['../x', './x', 'x.json', 'X', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(set.get(name)).toBeUndefined();
    }
    expect(set.get('x')?.name).toBe('x');
  });

  it('returns an immutable set', async () => {
    await write('get-all.json', getAll);
    const set = await loadDefinitions(dir);
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.list())).toBe(true);
    expect(Object.isFrozen(set.get('get-all'))).toBe(true);
    expect(() => (set.list() as unknown[]).push({})).toThrow(TypeError);
  });

  it('follows symlinks to files (as in ConfigMap mounts) and ignores symlinks to folders', async () => {
    await mkdir(path.join(dir, '..data'));
    await writeFile(path.join(dir, '..data', 'get-all.json'), JSON.stringify(getAll));
    await symlink(path.join(dir, '..data', 'get-all.json'), path.join(dir, 'get-all.json'));
    await symlink(path.join(dir, '..data'), path.join(dir, 'linked-folder.json'));
    const set = await loadDefinitions(dir);
    expect(set.list().map((d) => d.name)).toEqual(['get-all']);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    await write('get-all.json', `\uFEFF${JSON.stringify(getAll)}`);
    expect((await loadDefinitions(dir)).get('get-all')?.description).toBe('Get all Assets');
  });
});

describe('loadDefinitions: invalid folders', () => {
  it('refuses a missing folder, naming it', async () => {
    const missing = path.join(dir, 'nope');
    const err = await loadError(missing);
    expect(err.message).toBe(`${missing}: cannot read the API definitions folder: ENOENT: ${err.message.split('ENOENT: ')[1]}`);
    expect(err.message).toContain('ENOENT');
  });

  it('refuses a file given as the folder', async () => {
    await write('get-all.json', getAll);
    const err = await loadError(path.join(dir, 'get-all.json'));
    expect(err.message).toMatch(/cannot read the API definitions folder: ENOTDIR/);
  });

  it('reports a broken symlink named *.json', async () => {
    await write('get-all.json', getAll);
    await symlink(path.join(dir, 'missing-target.json'), path.join(dir, 'dangling.json'));
    const err = await loadError();
    expect(err.message).toMatch(new RegExp(`^${escape(path.join(dir, 'dangling.json'))}: cannot read: ENOENT`));
  });

  it('refuses an empty folder', async () => {
    const err = await loadError();
    expect(err.message).toBe(`${dir}: no API definition files (*.json) in the folder`);
  });

  it('refuses a folder with no *.json files', async () => {
    await write('README.md', 'hello');
    await mkdir(path.join(dir, 'sub.json'));
    expect((await loadError()).message).toBe(`${dir}: no API definition files (*.json) in the folder`);
  });

  it('reports invalid JSON with file, line and column', async () => {
    await write('get-all.json', '{\n  "method": "GET",\n}\n');
    const err = await loadError();
    const file = path.join(dir, 'get-all.json');
    expect(err.problems).toHaveLength(1);
    expect(err.message.startsWith(`${file}: invalid JSON: `)).toBe(true);
    expect(err.message).toMatch(/\(line 3, column 1\)|line 3 column 1/);
  });

  it('reports an empty file and invalid UTF-8', async () => {
    await write('empty.json', '');
    await write('latin1.json', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]));
    const err = await loadError();
    expect(err.problems).toEqual([
      { file: path.join(dir, 'empty.json'), message: expect.stringMatching(/^invalid JSON: /) },
      { file: path.join(dir, 'latin1.json'), message: 'not valid UTF-8' },
    ]);
  });

  it.each([
    ['unknown field', 'x.json', { ...getAll, metod: 'GET' }, 'metod: unknown field'],
    ['bad method', 'x.json', { ...getAll, method: 'FETCH' }, 'method: expected one of GET, POST, PUT, PATCH, DELETE, got "FETCH"'],
    ['bad placeholder', 'x.json', { ...getAll, path: '/v1/asset{id}' }, 'path: segment "asset{id}": a placeholder must be a whole path segment'],
    ['param not in path', 'x.json', { ...getById, params: { idd: 'integer' } }, 'params.idd: not a placeholder of path (placeholders: id)'],
    ['reserved name auth', 'auth.json', getAll, 'file name: API name "auth" is reserved'],
    ['reserved name list', 'list.json', getAll, 'file name: API name "list" is reserved'],
    ['upper-case name', 'Get-All.json', getAll, 'file name: API name "Get-All" must match'],
  ])('refuses a folder with one bad file: %s', async (_what, file, json, message) => {
    await write('good.json', getAll);
    await write(file, json);
    const err = await loadError();
    expect(err.message.startsWith(`${path.join(dir, file)}: ${message}`)).toBe(true);
    expect(err.message).not.toContain('good.json');
  });

  it('ignores dotfiles such as macOS ._name.json resource forks and editor leftovers', async () => {
    await write('get-all.json', getAll);
    await write('._get-all.json', '\u0000\u0005binary');
    await write('.x.json', getAll);
    const set = await loadDefinitions(dir);
    expect(set.list().map((d) => d.name)).toEqual(['get-all']);
  });

  it('lists every problem of every bad file, one line per file, and loads nothing', async () => {
    await write('good.json', getAll);
    await write('a-broken.json', '{ "method": ');
    await write('b-typo.json', { ...getAll, metod: 'GET', method: 'get' });
    await write('auth.json', { ...getById, params: { idd: 'integer' } });
    await write('c-array.json', '[]');
    const err = await loadError();
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^${escape(path.join(dir, 'a-broken.json'))}: invalid JSON: `));
    expect(lines[1]).toBe(
      `${path.join(dir, 'auth.json')}: file name: API name "auth" is reserved: the gateway's own route /api/auth would shadow it; ` +
        'params.idd: not a placeholder of path (placeholders: id)',
    );
    expect(lines[2]).toBe(
      `${path.join(dir, 'b-typo.json')}: method: expected one of GET, POST, PUT, PATCH, DELETE, got "get"; ` +
        'metod: unknown field (allowed: method, path, description, auth, params, query, body, timeout_ms, connect_timeout_ms, headers_timeout_ms, body_timeout_ms, retry)',
    );
    expect(lines[3]).toBe(`${path.join(dir, 'c-array.json')}: expected a JSON object at the top level, got an array`);
    expect(err.problems).toHaveLength(6);
  });

  it('reports a bad file name even when the JSON is invalid too', async () => {
    await write('Bad.json', '{');
    const err = await loadError();
    expect(err.problems.map((p) => p.field ?? p.message.split(':')[0])).toEqual(['file name', 'invalid JSON']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('loadDefinitions: hostile folders', () => {
  it('refuses a file over 1 MiB without reading it into memory', async () => {
    await write('get-all.json', getAll);
    await write('huge.json', `{"method":"GET","path":"/v1/x","description":"${'a'.repeat(MAX_DEFINITION_BYTES)}"}`);
    const err = await loadError();
    expect(err.problems).toEqual([{ file: path.join(dir, 'huge.json'), message: expect.stringMatching(/^file too large: \d+ bytes/) }]);
  });

  it('a symlink to a file that is not JSON: the problem does not quote the file', async () => {
    await write('secret.txt', 'root:x:0:0:root:/root:/bin/bash\n');
    await symlink(path.join(dir, 'secret.txt'), path.join(dir, 'passwd.json'));
    const err = await loadError();
    expect(err.message).toContain('invalid JSON');
    expect(err.message).not.toContain('root:x');
  });

  it('loads a folder of 3,000 files (read a few at a time, not all at once)', async () => {
    await Promise.all(Array.from({ length: 3000 }, (_, i) => write(`api-${i}.json`, { ...getAll, description: `api ${i}` })));
    const set = await loadDefinitions(dir);
    expect(set.list()).toHaveLength(3000);
    expect(set.get('api-2999')?.description).toBe('api 2999');
  });
});
