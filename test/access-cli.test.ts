// `evercycle-gateway keys create|list|revoke` through the real command: the key is printed
// once on stdout and works against a gateway, the file (0600) holds only its hash, names
// are unique, revoked keys stop working after a restart, bad input exits 1 with a message.
import { readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../src/access/keys.js';
import { spawnServe } from './helpers/cli.js';
import { rawRequest } from './helpers/raw-http.js';
import { startStack, tempDir } from './helpers/stack.js';

let scratch: string;
beforeAll(async () => {
  scratch = await tempDir('evgw-keys-cli-');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `evercycle-gateway keys <args>`; API_KEYS_FILE only when given. */
async function keys(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const proc = spawnServe({ API_KEYS_FILE: '', ...env }, ['keys', ...args]);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

const fileIn = (name: string) => path.join(scratch, name, 'keys.json');
const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('keys create', () => {
  it('prints one key on stdout (and only it), a hint on stderr, and stores only its hash in a new 0600 file', async () => {
    const file = fileIn('create');
    const run = await keys(['create', '--name', 'ci-reader', '--role', 'read', '--file', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^egw_[A-Za-z0-9_-]{43}\n$/);
    const key = run.stdout.trim();
    expect(run.stderr).toContain("Created key 'ci-reader' (role read)");
    expect(run.stderr).toMatch(/shown only this once/);
    expect(run.stderr).not.toContain(key);

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(4));
    const content = JSON.parse(text);
    expect(content).toEqual({ version: 1, keys: [{ name: 'ci-reader', role: 'read', hash: hashKey(key), created_at: expect.any(String) }] });
    expect(Date.now() - Date.parse(content.keys[0].created_at)).toBeLessThan(60_000);
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(path.dirname(file))).toBe(0o700);
  });

  it('the file defaults to API_KEYS_FILE; --apis limits the key (de-duplicated)', async () => {
    const file = fileIn('env');
    const run = await keys(['create', '--name', 'kiosk', '--role', 'read', '--apis', 'get-asset-id, get-all,get-asset-id'], { API_KEYS_FILE: file });
    expect(run.code, run.stderr).toBe(0);
    const content = JSON.parse(await readFile(file, 'utf8'));
    expect(content.keys[0]).toMatchObject({ name: 'kiosk', role: 'read', apis: ['get-asset-id', 'get-all'] });
  });

  it('adds to an existing file, keeps it 0600 (tightening a loose one), and refuses a duplicate name', async () => {
    const file = fileIn('dup');
    expect((await keys(['create', '--name', 'ops', '--role', 'admin', '--file', file])).code).toBe(0);
    await chmod(file, 0o644);
    expect((await keys(['create', '--name', 'app', '--role', 'write', '--file', file])).code).toBe(0);
    expect(await modeOf(file)).toBe(0o600);
    const before = await readFile(file, 'utf8');

    const dup = await keys(['create', '--name', 'OPS', '--role', 'read', '--file', file]);
    expect(dup.code).toBe(1);
    expect(dup.stdout).toBe('');
    expect(dup.stderr).toContain("a key named 'ops' already exists");
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it.concurrent.each([
    ['no --name', ['--role', 'read'], /required option '--name <name>'/],
    ['no --role', ['--name', 'x'], /required option '--role <role>'/],
    ['an unknown role', ['--name', 'x', '--role', 'owner'], /argument 'owner' is invalid. Allowed choices are admin, write, read/],
    ['a name with a space', ['--name', 'my key', '--role', 'read'], /name: must match/],
    ['a name with a slash', ['--name', '../x', '--role', 'read'], /name: must match/],
    ['an empty --apis', ['--name', 'x', '--role', 'read', '--apis', ' , '], /--apis must list at least one API name/],
    ['an invalid API name', ['--name', 'x', '--role', 'read', '--apis', 'get-all,../../etc'], /--apis: not an API name: "..\/..\/etc"/],
  ])('%s: exit 1 with a message, nothing printed on stdout, no file written', async (_name, args, message) => {
    const file = fileIn(`bad-${_name.replace(/\W+/g, '-')}`);
    const run = await keys(['create', ...args, '--file', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('without --file and without API_KEYS_FILE: exit 1 saying so', async () => {
    const run = await keys(['create', '--name', 'x', '--role', 'read']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no keys file: pass --file <path> or set API_KEYS_FILE');
  });

  it('an existing malformed file: exit 1 naming it and the problem, and the file is left alone', async () => {
    const file = path.join(scratch, 'malformed.json');
    await writeFile(file, '{"version":1,"keys":[{"name":"a","role":"god"}]}', { mode: 0o600 });
    const run = await keys(['create', '--name', 'x', '--role', 'read', '--file', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`keys file ${file}: keys[0].role: must be one of admin, write, read`);
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"keys":[{"name":"a","role":"god"}]}');
  });

  it('--help documents the options', async () => {
    const run = await keys(['create', '--help']);
    expect(run.code).toBe(0);
    for (const option of ['--name', '--role', '--apis', '--file']) expect(run.stdout).toContain(option);
    const group = await keys(['--help']);
    for (const command of ['create', 'list', 'revoke']) expect(group.stdout).toContain(command);
  });
});

describe('keys list', () => {
  it('shows names, roles, APIs and creation times, never keys or hashes', async () => {
    const file = fileIn('list');
    const a = (await keys(['create', '--name', 'ops', '--role', 'admin', '--file', file])).stdout.trim();
    const b = (await keys(['create', '--name', 'kiosk', '--role', 'read', '--apis', 'get-asset-id', '--file', file])).stdout.trim();
    const run = await keys(['list', '--file', file]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ROLE\s+APIS\s+CREATED$/);
    expect(lines[1]).toMatch(/^ops\s+admin\s+\(all\)\s+\d{4}-\d\d-\d\dT/);
    expect(lines[2]).toMatch(/^kiosk\s+read\s+get-asset-id\s+\d{4}-/);
    for (const secret of [a, b, hashKey(a), hashKey(b).slice(7), 'sha256']) expect(run.stdout + run.stderr).not.toContain(secret);

    const json = await keys(['list', '--json', '--file', file]);
    expect(JSON.parse(json.stdout)).toEqual([
      { name: 'ops', role: 'admin', apis: null, created_at: expect.any(String) },
      { name: 'kiosk', role: 'read', apis: ['get-asset-id'], created_at: expect.any(String) },
    ]);
  });

  it('warns when the file is readable by others (the gateway would refuse it)', async () => {
    const file = fileIn('list-loose');
    await keys(['create', '--name', 'ops', '--role', 'admin', '--file', file]);
    await chmod(file, 0o644);
    const run = await keys(['list', '--file', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`chmod 600 ${file}`);
  });

  it('a missing file: exit 1', async () => {
    const run = await keys(['list', '--file', path.join(scratch, 'none.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/does not exist/);
  });
});

describe('keys revoke', () => {
  it('removes the named key and keeps the others; an unknown name exits 1', async () => {
    const file = fileIn('revoke');
    await keys(['create', '--name', 'one', '--role', 'read', '--file', file]);
    await keys(['create', '--name', 'two', '--role', 'read', '--file', file]);
    const run = await keys(['revoke', '--name', 'one', '--file', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Revoked key 'one'.*\n.*restart/);
    expect(JSON.parse(await readFile(file, 'utf8')).keys.map((k: { name: string }) => k.name)).toEqual(['two']);
    expect(await modeOf(file)).toBe(0o600);

    const again = await keys(['revoke', '--name', 'one', '--file', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no key named 'one'");
  });
});

describe('a created key against a gateway', () => {
  it('works as Bearer and X-API-Key with its role; revoked, it stops working after a restart', async () => {
    const file = fileIn('live');
    const reader = (await keys(['create', '--name', 'dash', '--role', 'read', '--file', file])).stdout.trim();
    const admin = (await keys(['create', '--name', 'ops', '--role', 'admin', '--file', file])).stdout.trim();
    const stack = await startStack({ env: { API_KEYS_FILE: file } });
    try {
      const auth = await rawRequest(stack.url, 'POST', '/api/auth', {
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(stack.sim.demo),
      });
      expect(auth.status).toBe(200);
      expect((await rawRequest(stack.url, 'GET', '/api/get-asset-id/1', { headers: { 'x-api-key': reader } })).status).toBe(200);
      expect((await rawRequest(stack.url, 'GET', '/api/get-asset-id/1', { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
      expect((await rawRequest(stack.url, 'PUT', '/api/edit-asset-id/1', { headers: { 'x-api-key': reader } })).status).toBe(403);

      expect((await keys(['revoke', '--name', 'dash', '--file', file])).code).toBe(0);
      await stack.restart();
      expect((await rawRequest(stack.url, 'GET', '/api/get-asset-id/1', { headers: { 'x-api-key': reader } })).status).toBe(401);
      expect((await rawRequest(stack.url, 'GET', '/api/list', { headers: { 'x-api-key': admin } })).status).toBe(200);
      expect(stack.logs.text).not.toContain(reader);
      expect(stack.logs.text).not.toContain(admin);
    } finally {
      await stack.close();
    }
  });
});
