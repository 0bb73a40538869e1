// Secure by default, through the real command (`node dist/cli/main.js serve`):
//  - a non-loopback HOST without API keys refuses to start, naming API_KEYS_FILE and
//    INSECURE_ALLOW_UNAUTHENTICATED; with INSECURE_ALLOW_UNAUTHENTICATED=true it starts,
//    warning loudly; with keys it starts and requires them;
//  - a keys file or token file that others may read (0644) refuses the start, naming the
//    file and `chmod 600`; a malformed keys file names the file and the problem.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeys } from './helpers/keys.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { rawRequest } from './helpers/raw-http.js';
import { tempDir } from './helpers/stack.js';

let scratch: string;
const running: CliProcess[] = [];

beforeAll(async () => {
  scratch = await tempDir('evgw-access-startup-');
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await rm(scratch, { recursive: true, force: true });
});

/** `serve` with exactly these settings; API_KEYS_FILE and the opt-out are unset unless given. */
function serve(name: string, env: Record<string, string>): CliProcess {
  const proc = spawnServe({
    PORT: '0',
    LOG_LEVEL: 'info',
    EVERCYCLE_DATA_DIR: path.join(scratch, name, 'data'),
    API_KEYS_FILE: '',
    INSECURE_ALLOW_UNAUTHENTICATED: '',
    ...env,
  });
  running.push(proc);
  return proc;
}

async function refused(proc: CliProcess): Promise<string> {
  const { code } = await proc.exited;
  expect(code, `stdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`).toBe(1);
  expect(proc.stdout()).not.toContain('listening');
  expect(proc.stderr()).not.toMatch(/^\s+at /m); // a message, not a stack trace
  expect(proc.stderr()).toMatch(/^cannot start: /);
  return proc.stderr();
}

describe.concurrent('a non-loopback HOST', () => {
  it('HOST=0.0.0.0 without keys: exit 1, naming HOST, API_KEYS_FILE and INSECURE_ALLOW_UNAUTHENTICATED', async () => {
    const stderr = await refused(serve('open', { HOST: '0.0.0.0' }));
    expect(stderr).toContain('HOST=0.0.0.0');
    expect(stderr).toContain('API_KEYS_FILE');
    expect(stderr).toContain('INSECURE_ALLOW_UNAUTHENTICATED=true');
  });

  it('TRUST_PROXY=true without keys, even on loopback: exit 1 (a client could claim 127.0.0.1 in X-Forwarded-For)', async () => {
    const stderr = await refused(serve('trust-any', { TRUST_PROXY: 'true' }));
    expect(stderr).toContain('TRUST_PROXY=127.0.0.1');
    expect(stderr).toContain('API_KEYS_FILE');
  });

  it('HOST=0.0.0.0 with INSECURE_ALLOW_UNAUTHENTICATED=false: still refused', async () => {
    await refused(serve('open-false', { HOST: '0.0.0.0', INSECURE_ALLOW_UNAUTHENTICATED: 'false' }));
  });

  it('HOST=0.0.0.0 with INSECURE_ALLOW_UNAUTHENTICATED=true: starts without authentication, with a loud warning', async () => {
    const proc = serve('insecure', { HOST: '0.0.0.0', INSECURE_ALLOW_UNAUTHENTICATED: 'true' });
    const url = await waitForListening(proc);
    const warning = proc.logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('INSECURE'));
    expect(warning, proc.stdout()).toBeDefined();
    expect(warning!.level).toBeGreaterThanOrEqual(40);
    expect(warning!.msg).toMatch(/INSECURE_ALLOW_UNAUTHENTICATED=true/);
    expect((await rawRequest(url, 'GET', '/api/list')).status).toBe(200);
    expect((await proc.stop()).code).toBe(0);
  });

  it('HOST=0.0.0.0 with a keys file: starts, and a key is required', async () => {
    const dir = path.join(scratch, 'keyed');
    await mkdir(dir, { recursive: true });
    const { file, keys } = await writeKeys(dir, { reader: { role: 'read' } });
    const proc = serve('keyed', { HOST: '0.0.0.0', API_KEYS_FILE: file });
    const url = await waitForListening(proc);
    expect((await rawRequest(url, 'GET', '/api/list')).status).toBe(401);
    expect((await rawRequest(url, 'GET', '/api/list', { headers: { 'x-api-key': keys.reader } })).status).toBe(200);
    expect((await rawRequest(url, 'GET', '/health')).status).toBe(200);
    expect(proc.stdout()).not.toContain(keys.reader);
    expect((await proc.stop()).code).toBe(0);
  });

  it('HOST=127.0.0.1 without keys: starts, no authentication, as before', async () => {
    const proc = serve('loopback', { HOST: '127.0.0.1' });
    const url = await waitForListening(proc);
    expect((await rawRequest(url, 'GET', '/api/list')).status).toBe(200);
    expect(proc.logs().some((l) => l.level === 30 && /API_KEYS_FILE is not set/.test(String(l.msg)))).toBe(true);
    expect((await proc.stop()).code).toBe(0);
  });
});

describe.concurrent('secret files readable by others refuse the start', () => {
  it('a keys file with mode 0644: exit 1 naming the file and chmod 600', async () => {
    const dir = path.join(scratch, 'loose-keys');
    await mkdir(dir, { recursive: true });
    const { file } = await writeKeys(dir, { a: { role: 'admin' } });
    await chmod(file, 0o644);
    const stderr = await refused(serve('loose-keys', { API_KEYS_FILE: file }));
    expect(stderr).toContain(file);
    expect(stderr).toContain(`chmod 600 ${file}`);
  });

  it('a keys file with mode 0640 (group-readable): refused too', async () => {
    const dir = path.join(scratch, 'group-keys');
    await mkdir(dir, { recursive: true });
    const { file } = await writeKeys(dir, { a: { role: 'admin' } });
    await chmod(file, 0o640);
    expect(await refused(serve('group-keys', { API_KEYS_FILE: file }))).toContain('mode 0640');
  });

  it('a token file with mode 0644: exit 1 naming the file and chmod 600, before the tokens are loaded', async () => {
    const dataDir = path.join(scratch, 'loose-tokens', 'data');
    await mkdir(dataDir, { recursive: true });
    const tokenFile = path.join(dataDir, 'tokens.json');
    await writeFile(tokenFile, '{}');
    await chmod(tokenFile, 0o644);
    const stderr = await refused(serve('loose-tokens', { EVERCYCLE_DATA_DIR: dataDir }));
    expect(stderr).toContain(tokenFile);
    expect(stderr).toContain(`chmod 600 ${tokenFile}`);
  });

  it('a token file with mode 0600: starts', async () => {
    const dataDir = path.join(scratch, 'tight-tokens', 'data');
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, 'tokens.json'), '{}', { mode: 0o600 });
    const proc = serve('tight-tokens', { EVERCYCLE_DATA_DIR: dataDir });
    await waitForListening(proc);
    expect((await proc.stop()).code).toBe(0);
  });

  it('a missing keys file: exit 1 naming it', async () => {
    const file = path.join(scratch, 'nowhere', 'keys.json');
    const stderr = await refused(serve('missing-keys', { API_KEYS_FILE: file }));
    expect(stderr).toContain(`keys file ${file}: does not exist`);
  });

  it('a malformed keys file: exit 1 naming the file and the problem', async () => {
    const file = path.join(scratch, 'malformed-keys.json');
    await writeFile(file, JSON.stringify({ version: 1, keys: [{ name: 'x', role: 'owner', hash: 'sha256:00', created_at: 'now' }] }), { mode: 0o600 });
    const stderr = await refused(serve('malformed-keys', { API_KEYS_FILE: file }));
    expect(stderr).toContain(`keys file ${file}`);
    expect(stderr).toContain('keys[0].role: must be one of admin, write, read');
  });
});
