// Start-up through the real command (`node dist/cli/main.js serve`, what `npm start` runs):
// invalid settings and malformed definition folders stop it with exit code 1 and a message
// naming the problem, with nothing listening; without EVERCYCLE_BASE_URL it runs the
// built-in simulator; SIGTERM ends it with exit code 0.
import { rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApisDir } from './helpers/apis-dir.js';
import { spawnServe, waitForListening, type CliProcess } from './helpers/cli.js';
import { freePort, isListening } from './helpers/ports.js';
import { tempDir } from './helpers/stack.js';

let scratch: string;
const running: CliProcess[] = [];

beforeAll(async () => {
  scratch = await tempDir('evgw-startup-');
}, 120_000);
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await rm(scratch, { recursive: true, force: true });
});

function serve(env: Record<string, string>): CliProcess {
  const proc = spawnServe({ EVERCYCLE_DATA_DIR: path.join(scratch, 'data'), LOG_LEVEL: 'info', ...env });
  running.push(proc);
  return proc;
}

/** Start with `env` and expect a refusal: exit code 1, nothing listening on the port it was given. */
async function refusedStart(env: Record<string, string>): Promise<{ stderr: string; stdout: string }> {
  const port = env.PORT ?? String(await freePort());
  const proc = serve({ PORT: port, ...env });
  const { code } = await proc.exited;
  expect(code, `stderr: ${proc.stderr()}`).toBe(1);
  if (/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536) expect(await isListening(Number(port))).toBe(false);
  expect(proc.stdout()).not.toContain('listening');
  // A clear message, not a crash: no stack trace.
  expect(proc.stderr()).not.toMatch(/^\s+at /m);
  return { stderr: proc.stderr(), stdout: proc.stdout() };
}

// Each refusal is its own short-lived process; they run side by side.
describe.concurrent('invalid settings refuse the start', () => {
  it.each([
    ['PORT', 'http'],
    ['PORT', '99999'],
    ['LOG_LEVEL', 'chatty'],
    ['EVERCYCLE_BASE_URL', 'ftp://api.evercycle.io'],
    ['EVERCYCLE_BASE_URL', 'api.evercycle.io'],
    ['EVERCYCLE_TOKEN_SKEW_S', '-1'],
    ['BODY_LIMIT_BYTES', 'lots'],
  ])('%s=%j -> exit 1 naming it on stderr', async (name, value) => {
    const { stderr } = await refusedStart({ [name]: value });
    expect(stderr).toContain(name);
    expect(stderr).toMatch(/cannot start/);
  });

  it('a username without a password -> exit 1 naming both', async () => {
    const { stderr } = await refusedStart({ EVERCYCLE_USERNAME: 'svc@example.com' });
    expect(stderr).toContain('EVERCYCLE_USERNAME');
    expect(stderr).toContain('EVERCYCLE_PASSWORD');
  });

  it('a password without a username -> exit 1, and the password is on neither stream', async () => {
    const password = 'startup-Pa55-never-printed';
    const { stderr, stdout } = await refusedStart({ EVERCYCLE_PASSWORD: password });
    expect(stderr).toContain('EVERCYCLE_USERNAME');
    expect(stderr + stdout).not.toContain(password);
  });
});

describe.concurrent('a malformed definition folder refuses the start', () => {
  it('invalid JSON: names the file and the JSON problem', async () => {
    const dir = await makeApisDir({ files: { 'broken-api.json': '{"method": "GET", "path": "/v1/x",\n' } });
    const { stderr } = await refusedStart({ EVERCYCLE_APIS_DIR: dir });
    expect(stderr).toContain(path.join(dir, 'broken-api.json'));
    expect(stderr).toMatch(/invalid JSON/i);
    await rm(dir, { recursive: true, force: true });
  });

  it('an invalid definition: names the file, the field and the problem', async () => {
    const dir = await makeApisDir({ files: { 'bad-method.json': { method: 'FETCH', path: '/v1/x', description: 'x' } } });
    const { stderr } = await refusedStart({ EVERCYCLE_APIS_DIR: dir });
    expect(stderr).toContain('bad-method.json');
    expect(stderr).toContain('method');
    expect(stderr).toContain('FETCH');
    // The eleven valid files next to it did not make a half-loaded start (refusedStart
    // checked: exit 1, nothing listening).
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing folder: names it', async () => {
    const missing = path.join(scratch, 'no-such-apis-folder');
    const { stderr } = await refusedStart({ EVERCYCLE_APIS_DIR: missing });
    expect(stderr).toContain(missing);
  });

  it('a folder without definition files: names it', async () => {
    const empty = path.join(scratch, 'empty-apis');
    await mkdir(empty, { recursive: true });
    await writeFile(path.join(empty, 'README.txt'), 'not a definition');
    const { stderr } = await refusedStart({ EVERCYCLE_APIS_DIR: empty });
    expect(stderr).toContain(empty);
  });
});

describe('with EVERCYCLE_BASE_URL unset', () => {
  let proc: CliProcess;
  let url: string;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    proc = serve({ PORT: String(port) });
    url = await waitForListening(proc);
  });

  it('listens on PORT on the default host 127.0.0.1', () => {
    expect(url).toBe(`http://127.0.0.1:${port}`);
  });

  it('starts the built-in simulator and says so in /health and loudly in the log', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', message: 'Evercycle API Server is running', upstream: 'simulator', authenticated: false });
    const warning = proc.logs().find((l) => typeof l.msg === 'string' && /SIMULATOR/.test(l.msg));
    expect(warning, proc.stdout()).toBeDefined();
    expect(warning!.level).toBeGreaterThanOrEqual(40); // warn or above
  });

  it('SIGTERM is not held up by a connection that never sent a request (SHUTDOWN_GRACE_MS)', async () => {
    const p = spawnServe({ PORT: '0', EVERCYCLE_DATA_DIR: path.join(scratch, 'grace'), SHUTDOWN_GRACE_MS: '500' });
    running.push(p);
    const base = await waitForListening(p);
    const idle = net.connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    idle.on('error', () => {});
    const started = Date.now();
    const { code } = await p.stop();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    idle.destroy();
  });

  it('SIGTERM ends it with exit code 0 and the port is released', async () => {
    await fetch(`${url}/api/list`); // a keep-alive connection from this process is open
    const { code, signal } = await proc.stop();
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(await isListening(port)).toBe(false);
  });
});
