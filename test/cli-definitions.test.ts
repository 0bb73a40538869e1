// `evercycle-gateway definitions validate|from-markdown|from-openapi` as a child process:
// exit codes (0 done, 1 problems, 2 usage or unreadable input), what goes to stdout (the
// summary, the files written) and to stderr (every problem), and the files on disk.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefinitions } from '../src/definitions/load.js';
import { makeApisDir } from './helpers/apis-dir.js';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT, tempDir } from './helpers/stack.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'evercycle-backend-endpoints.md');
const FIXTURE_NAMES = ['auth-signin', 'asset-create', 'get-asset-id', 'edit-pricebook-id-grade', 'get-asset'];

let scratch: string;
beforeAll(async () => {
  scratch = await tempDir('evgw-cli-definitions-');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const definitions = (args: string[], options: Parameters<typeof runCli>[1] = {}) => runCli(['definitions', ...args], options);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const wrote = (dir: string, name: string, endpoint: string) => `wrote ${path.join(dir, `${name}.json`)} (${endpoint})`;

describe('definitions validate', () => {
  it('with no folder named checks the shipped apis/: a one-line summary on stdout, exit 0', async () => {
    const run = await definitions(['validate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`11 definitions OK in ${path.join(REPO_ROOT, 'apis')}\n`);
    expect(run.stderr).toBe('');
  });

  it('follows EVERCYCLE_APIS_DIR, as the gateway does', async () => {
    const dir = await makeApisDir({ shipped: false, files: { 'ping.json': { method: 'GET', path: '/v1/ping', description: 'Ping' } } });
    try {
      const run = await definitions(['validate'], { env: { EVERCYCLE_APIS_DIR: dir } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`1 definition OK in ${dir}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists every problem of every file as `file: field: message` on stderr, exit 1, nothing on stdout', async () => {
    const dir = await makeApisDir({
      files: {
        'create.json': { metod: 'POST', path: '/v1/asset/create', description: 'Create' },
        'grade.json': { method: 'PUT', path: '/v1/pricebook/{id}/{grade}', description: 'Grade', params: { idd: 'integer' } },
        'broken.json': '{"method": "GET",',
      },
    });
    try {
      const run = await definitions(['validate', dir]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      const err = lines(run.stderr);
      expect(err).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^${escape(path.join(dir, 'broken.json'))}: invalid JSON: `)),
          `${path.join(dir, 'create.json')}: metod: unknown field (allowed: method, path, description, auth, params, query, body, timeout_ms, connect_timeout_ms, headers_timeout_ms, body_timeout_ms, retry)`,
          `${path.join(dir, 'create.json')}: method: required`,
          `${path.join(dir, 'grade.json')}: params.idd: not a placeholder of path (placeholders: id, grade)`,
        ]),
      );
      expect(err.at(-1)).toBe(`error: 4 problems in 3 files; the gateway would not start with ${dir}`);
      expect(err).toHaveLength(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a folder that does not exist is a problem of the folder', async () => {
    const missing = path.join(scratch, 'no-such-folder');
    const run = await definitions(['validate', missing]);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)[0]).toMatch(new RegExp(`^${escape(missing)}: cannot read the API definitions folder: ENOENT`));
  });

  it('invalid settings are a usage error only when the folder must come from them', async () => {
    const bad = await definitions(['validate'], { env: { EVERCYCLE_APIS_DIR: '', PORT: 'eighty' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PORT="eighty"');
    const named = await definitions(['validate', path.join(REPO_ROOT, 'apis')], { env: { PORT: 'eighty' } });
    expect(named.code, named.stderr).toBe(0);
  });
});

describe('definitions from-markdown', () => {
  it("converts the spec's backend section: one `wrote` line per file on stdout, files the gateway loads, exit 0", async () => {
    const out = path.join(scratch, 'md', 'nested', 'apis'); // created, parents included
    const run = await definitions(['from-markdown', FIXTURE, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      wrote(out, 'auth-signin', 'POST /v1/auth/signin'),
      wrote(out, 'asset-create', 'POST /v1/asset/create'),
      wrote(out, 'get-asset-id', 'GET /v1/asset/{id}'),
      wrote(out, 'edit-pricebook-id-grade', 'PUT /v1/pricebook/{id}/{grade}'),
      wrote(out, 'get-asset', 'GET /v1/asset'),
    ]);
    expect((await loadDefinitions(out)).list().map((d) => d.name).sort()).toEqual([...FIXTURE_NAMES].sort());
    expect(await readFile(path.join(out, 'get-asset-id.json'), 'utf8')).toBe(
      '{\n  "method": "GET",\n  "path": "/v1/asset/{id}",\n  "description": "Get the Asset information for a given ID",\n  "params": {\n    "id": "integer"\n  }\n}\n',
    );
    const check = await definitions(['validate', out]);
    expect(check.stdout).toBe(`5 definitions OK in ${out}\n`);
  });

  it('refuses to overwrite: lists the existing files, writes nothing (not even new ones), exit 1; --force overwrites', async () => {
    const out = path.join(scratch, 'md-overwrite');
    await mkdir(out);
    await writeFile(path.join(out, 'get-asset.json'), 'hand-edited\n');
    const spec = path.join(scratch, 'two.md');
    await writeFile(spec, 'GET /v1/asset\nDescription: All\n\nGET /v1/programs\nDescription: Programs\n');

    const refused = await definitions(['from-markdown', spec, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(`error: 1 file already exists, nothing written (--force overwrites):\n  ${path.join(out, 'get-asset.json')}\n`);
    expect(await readdir(out)).toEqual(['get-asset.json']);
    expect(await readFile(path.join(out, 'get-asset.json'), 'utf8')).toBe('hand-edited\n');

    const forced = await definitions(['from-markdown', spec, '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(lines(forced.stdout)).toEqual([wrote(out, 'get-asset', 'GET /v1/asset'), wrote(out, 'get-programs', 'GET /v1/programs')]);
    expect(JSON.parse(await readFile(path.join(out, 'get-asset.json'), 'utf8'))).toEqual({ method: 'GET', path: '/v1/asset', description: 'All' });
  });

  it('writes what it could convert, reports the rest as `file:line: message` on stderr, exit 1', async () => {
    const spec = path.join(scratch, 'partly.md');
    await writeFile(spec, ['# API', '', '### GET /v1/ok/{id}', 'Path Parameters: id (number)', 'Description: Fine', '', '### /v1/no-method', 'Description: Which method?', ''].join('\n'));
    const out = path.join(scratch, 'md-partly');
    const run = await definitions(['from-markdown', spec, '--out', out]);
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toEqual([wrote(out, 'get-ok-id', 'GET /v1/ok/{id}')]);
    expect(lines(run.stderr)).toEqual([
      `${spec}:7: /v1/no-method: skipped: no Method (add a \`Method: GET\` line, or put the method in the heading)`,
      `error: 1 problem (above); 1 definition written to ${out}`,
    ]);
    expect(await readdir(out)).toEqual(['get-ok-id.json']);
  });

  it('reads title and URL headings, and reports (exit 1) an endpoint heading it cannot read instead of dropping it (review #1)', async () => {
    const spec = path.join(scratch, 'mix.md');
    await writeFile(
      spec,
      [
        '# Evercycle Backend Endpoints',
        '',
        '## GET /v1/programs',
        'Description: List programs',
        'Headers: Authorization, access-token',
        '',
        '## Get Asset By Id: GET /v1/asset/{id}',
        'Description: Get the asset',
        'Headers: Authorization, access-token',
        'Path Parameters: id (number)',
        '',
        '## PUT https://api.evercycle.io/v1/pricebook/{id}/{grade}',
        'Description: Edit the price',
        'Headers: Authorization, access-token',
        'Path Parameters: id (number), grade (string)',
        'Body Fields: *price (number)',
        '',
        '## POST /v1/asset/confirm',
        'Description: Confirm',
        'Headers: Authorization, access-token',
        'Body Fields: *asset_id (integer)',
        '',
      ].join('\n'),
    );
    const out = path.join(scratch, 'md-mix');
    const run = await definitions(['from-markdown', spec, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['asset-confirm.json', 'edit-pricebook-id-grade.json', 'get-asset-id.json', 'get-programs.json']);

    const bad = path.join(scratch, 'mix-bad.md');
    await writeFile(bad, ['## GET /v1/ok', 'Description: ok', '', '## ../../evil: GET /v1/evil', 'Description: evil', ''].join('\n'));
    const outBad = path.join(scratch, 'md-mix-bad');
    const badRun = await definitions(['from-markdown', bad, '--out', outBad]);
    expect(badRun.code).toBe(1);
    expect(lines(badRun.stdout)).toEqual([wrote(outBad, 'get-ok', 'GET /v1/ok')]);
    expect(lines(badRun.stderr)[0]).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4: "\\.\\./\\.\\./evil: GET /v1/evil": skipped: cannot read the heading as an endpoint`));
    expect(await readdir(outBad)).toEqual(['get-ok.json']);
  });

  it('reads several files (names unique across them) and stdin', async () => {
    const a = path.join(scratch, 'a.md');
    await writeFile(a, 'GET /v1/asset\nDescription: from a\n');
    const out = path.join(scratch, 'md-several');
    const run = await definitions(['from-markdown', a, '-', '--out', out], { input: 'GET /v1/asset\nDescription: from stdin\n\nGET /v1/tracking\nDescription: Tracking\n' });
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toEqual([wrote(out, 'get-asset', 'GET /v1/asset'), wrote(out, 'get-tracking', 'GET /v1/tracking')]);
    expect(lines(run.stderr)[0]).toBe(`<stdin>:1: GET /v1/asset: skipped: name "get-asset" is already used by ${a}:1`);
    expect(JSON.parse(await readFile(path.join(out, 'get-asset.json'), 'utf8')).description).toBe('from a');
  });

  it('--name-map names endpoints; an entry that names nothing is reported', async () => {
    const map = path.join(scratch, 'names.json');
    await writeFile(map, JSON.stringify({ 'GET /v1/asset': 'get-all', 'PUT /v1/pricebook/{id}/{grade}': 'grade', 'GET /v1/nothing': 'nothing' }));
    const out = path.join(scratch, 'md-named');
    const run = await definitions(['from-markdown', FIXTURE, '--out', out, '--name-map', map]);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([`${map}: "GET /v1/nothing" names no endpoint that was converted`, `error: 1 problem (above); 5 definitions written to ${out}`]);
    expect((await readdir(out)).sort()).toEqual(['asset-create.json', 'auth-signin.json', 'get-all.json', 'get-asset-id.json', 'grade.json']);
  });

  it('a malformed --name-map is a usage error (exit 2) and nothing is written', async () => {
    const map = path.join(scratch, 'bad-names.json');
    await writeFile(map, JSON.stringify({ '/v1/asset': 'x', 'GET /v1/asset/{id}': 'Not A Name', 'PUT /v1/asset/{id}': 'list' }));
    const out = path.join(scratch, 'md-bad-map');
    const run = await definitions(['from-markdown', FIXTURE, '--out', out, '--name-map', map]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`--name-map ${map}:`);
    expect(run.stderr).toContain('"/v1/asset": expected "METHOD /path"');
    expect(run.stderr).toContain('"GET /v1/asset/{id}": API name "Not A Name" must match');
    expect(run.stderr).toContain('"PUT /v1/asset/{id}": API name "list" is reserved');
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    ['no --out', ['from-markdown', FIXTURE], "error: required option '--out <dir>' not specified"],
    ['no spec', ['from-markdown', '--out', 'x'], "error: missing required argument 'spec'"],
    ['an unknown option', ['from-markdown', FIXTURE, '--out', 'x', '--frce'], "error: unknown option '--frce'"],
    ['an unreadable spec', ['from-markdown', 'no-such-spec.md', '--out', 'x'], 'error: cannot read no-such-spec.md: ENOENT'],
  ])('%s is a usage error: exit 2, a one-line message', async (_, args, message) => {
    const run = await definitions(args, { cwd: scratch });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });
});

describe('definitions from-openapi', () => {
  it('converts a foreign document file, reporting what it cannot map (exit 1)', async () => {
    const file = path.join(scratch, 'foreign.json');
    await writeFile(
      file,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'x', version: '1' },
        servers: [{ url: 'https://api.evercycle.io/v1' }],
        paths: {
          '/asset/{id}': { get: { operationId: 'getAsset', summary: 'Get', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }] } },
          '/upload': { post: { operationId: 'upload', summary: 'Upload', requestBody: { content: { 'multipart/form-data': {} } } } },
        },
      }),
    );
    const out = path.join(scratch, 'oa-foreign');
    const run = await definitions(['from-openapi', file, '--out', out]);
    expect(run.code).toBe(1);
    expect(lines(run.stdout)).toEqual([wrote(out, 'get-asset', 'GET /v1/asset/{id}')]);
    expect(lines(run.stderr)).toEqual([
      `${file}: POST /upload: skipped: the request body is multipart/form-data; the gateway forwards JSON bodies only`,
      `error: 1 problem (above); 1 definition written to ${out}`,
    ]);
    expect(JSON.parse(await readFile(path.join(out, 'get-asset.json'), 'utf8'))).toEqual({ method: 'GET', path: '/v1/asset/{id}', description: 'Get', params: { id: 'integer' } });
  });

  it.each([
    ['not JSON', 'openapi: 3.0.0\npaths: {}\n', /^error: <stdin>: not JSON: .* \(YAML is not read: convert the document to JSON\)$/],
    ['Swagger 2.0', '{"swagger": "2.0", "paths": {}}', /^error: <stdin>: not an OpenAPI 3\.0 or 3\.1 document \(Swagger 2\.0\)$/],
  ])('%s is refused with exit 2', async (_, input, message) => {
    const run = await definitions(['from-openapi', '-', '--out', path.join(scratch, 'oa-refused')], { input });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(message);
  });

  it('a document without operations writes nothing, exit 1', async () => {
    const run = await definitions(['from-openapi', '-', '--out', path.join(scratch, 'oa-empty')], { input: '{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": {}}' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: nothing to write\n');
  });
});

describe('--help', () => {
  it.each([
    [[], ['validate [dir]', 'from-markdown [options] <spec...>', 'from-openapi [options] <file>']],
    [['validate'], ['Usage: evercycle-gateway definitions validate [options] [dir]', 'EVERCYCLE_APIS_DIR', 'Exit status']],
    [['from-markdown'], ['Usage: evercycle-gateway definitions from-markdown [options] <spec...>', '--out <dir>', '--force', '--name-map <file>', 'Path Parameters: id (number)', 'POST /v1/auth/signin -> auth-signin']],
    [['from-openapi'], ['Usage: evercycle-gateway definitions from-openapi [options] <file>', '--out <dir>', '--force', '/openapi.json']],
  ])('definitions %j --help: usage on stdout, exit 0', async (sub, expected) => {
    const run = await definitions([...sub, '--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const text of expected) expect(run.stdout).toContain(text);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
