// `evercycle-gateway login` / `logout`, run as a child process against a real gateway and
// simulator: where the password may come from (never argv), exit codes, what goes to
// stdout and stderr, and --direct (tokens written to the store a later gateway loads).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { runCli, type CliRun } from './helpers/cli.js';
import { writeKeys } from './helpers/keys.js';
import { KEYS, runInPty, type PtyRun } from './helpers/pty.js';
import { startGateway, startStack, tempDir, type Stack } from './helpers/stack.js';
import { count, getAll, health, postJson, SIGNIN, tokenFile } from './helpers/tokens.js';

const PASSWORD = 'secret';
const USER = 'user@example.com';

let stack: Stack;
let ptys: PtyRun[] = [];

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});
afterEach(async () => {
  for (const p of ptys) p.kill();
  ptys = [];
  // Each test starts signed out.
  await fetch(`${stack.url}/api/auth`, { method: 'DELETE' });
});

function cli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliRun> {
  return runCli(args, { ...options, env: { EVERCYCLE_GATEWAY_URL: stack.url, ...options.env } });
}

function pty(args: string[]): PtyRun {
  const run = runInPty(args, { env: { EVERCYCLE_GATEWAY_URL: stack.url } });
  ptys.push(run);
  return run;
}

/** Nothing the command printed may carry the password. */
function expectNoSecret(run: { stdout: string; stderr: string }): void {
  expect(run.stdout + run.stderr).not.toContain(PASSWORD);
}

describe('login through the gateway', () => {
  it('--password-stdin: signs the gateway in, exit 0, one confirmation line on stderr, stdout empty', async () => {
    const run = await cli(['login', '--username', USER, '--password-stdin'], { input: `${PASSWORD}\nnot read\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`Signed in to Evercycle as ${USER} through the gateway at ${stack.url}.\n`);
    expectNoSecret(run);
    expect((await health(stack.url)).authenticated).toBe(true);
    expect((await getAll(stack.url)).status).toBe(200);
  });

  it('takes username and password from EVERCYCLE_USERNAME / EVERCYCLE_PASSWORD', async () => {
    const run = await cli(['login'], { env: { EVERCYCLE_USERNAME: USER, EVERCYCLE_PASSWORD: PASSWORD } });
    expect(run.code).toBe(0);
    expectNoSecret(run);
    expect((await health(stack.url)).authenticated).toBe(true);
  });

  it('a refused login exits 1 with the gateway\'s message, and the gateway stays signed out', async () => {
    const run = await cli(['login', '-u', USER, '--password-stdin'], { input: 'wrong-password\n' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: HTTP 401: Authentication failed\n');
    expect(run.stderr).not.toContain('wrong-password');
    expect((await health(stack.url)).authenticated).toBe(false);
  });

  it('there is no --password option: usage error (exit 2) and nothing is sent', async () => {
    const before = count(stack.sim.calls(), SIGNIN);
    const run = await cli(['login', '-u', USER, '--password', PASSWORD]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--password'");
    expect(count(stack.sim.calls(), SIGNIN)).toBe(before);
  });

  it('without a terminal and without a password source: exit 2, saying where a password may come from', async () => {
    const before = count(stack.sim.calls(), SIGNIN);
    const run = await cli(['login', '-u', USER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: no password: use --password-stdin, set EVERCYCLE_PASSWORD, or run in a terminal to be prompted\n');
    const noUser = await cli(['login', '--password-stdin'], { input: `${PASSWORD}\n` });
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toBe('error: no username: give --username or set EVERCYCLE_USERNAME\n');
    expect(count(stack.sim.calls(), SIGNIN)).toBe(before);
  });

  it('an empty first line on stdin is refused before anything is sent', async () => {
    const run = await cli(['login', '-u', USER, '--password-stdin'], { input: '\nsecret\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the first line of stdin is empty');
  });

  it('an unreachable gateway: exit 1 with a clear message', async () => {
    const run = await runCli(['login', '-u', USER, '--password-stdin', '--gateway', 'http://127.0.0.1:1'], { input: `${PASSWORD}\n` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot reach the gateway at http:\/\/127\.0\.0\.1:1: connection refused/);
  });

  it('at a terminal: prompts for the username and the password, without echoing the password', async () => {
    const run = pty(['login']);
    await run.expect('Evercycle username:');
    run.type(`${USER}${KEYS.enter}`);
    await run.expect(`Password for ${USER}:`);
    run.type(`${PASSWORD}${KEYS.enter}`);
    expect(await run.exited).toBe(0);
    expect(run.screen()).toContain(`Signed in to Evercycle as ${USER}`);
    // Raw mode, no mask: the typed password never reaches the screen.
    expect(run.screen()).not.toContain(PASSWORD);
    expect((await health(stack.url)).authenticated).toBe(true);
  });

  it('--password-stdin at a terminal is refused (the typed line would echo): exit 2', async () => {
    const run = pty(['login', '-u', USER, '--password-stdin']);
    expect(await run.exited).toBe(2);
    expect(run.screen()).toContain('error: --password-stdin reads a pipe; at a terminal leave it out to be prompted without echo');
  });

  it('Ctrl-C at the password prompt: exit 130, "cancelled", no stack trace, nothing sent', async () => {
    const before = count(stack.sim.calls(), SIGNIN);
    const run = pty(['login', '-u', USER]);
    await run.expect(`Password for ${USER}:`);
    run.type('sec');
    run.type(KEYS.ctrlC);
    expect(await run.exited).toBe(130);
    expect(run.screen()).toContain('error: cancelled');
    expect(run.screen()).not.toMatch(/\n\s+at /);
    expect(count(stack.sim.calls(), SIGNIN)).toBe(before);
  });
});

describe('logout through the gateway', () => {
  it('signs the gateway out (DELETE /api/auth): exit 0, the gateway\'s message on stderr', async () => {
    expect((await postJson(stack.url, '/api/auth', stack.sim.demo)).status).toBe(200);
    const run = await cli(['logout']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`Signed out: the Evercycle tokens are deleted (gateway at ${stack.url}).\n`);
    expect((await health(stack.url)).authenticated).toBe(false);
    expect((await getAll(stack.url)).status).toBe(401);

    const again = await cli(['logout']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(`Not signed in: no Evercycle tokens to delete (gateway at ${stack.url}).\n`);
  });
});

describe('login and logout with API keys', () => {
  it('need an admin key: a read key is refused with the gateway\'s 403, an admin key works', async () => {
    const { file, keys } = await writeKeys(await tempDir(), { ops: { role: 'admin' }, dash: { role: 'read' } });
    const keyed = await startStack({ env: { API_KEYS_FILE: file } });
    try {
      const as = (key: string) => ({ EVERCYCLE_GATEWAY_URL: keyed.url, EVERCYCLE_GATEWAY_KEY: key });
      const refused = await runCli(['login', '-u', USER, '--password-stdin'], { env: as(keys.dash), input: `${PASSWORD}\n` });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: HTTP 403: .*dash/);
      expect(refused.stderr).not.toContain(keys.dash);

      const ok = await runCli(['login', '-u', USER, '--password-stdin'], { env: as(keys.ops), input: `${PASSWORD}\n` });
      expect(ok.code).toBe(0);
      expect((await health(keyed.url)).authenticated).toBe(true);

      expect((await runCli(['logout'], { env: as(keys.dash) })).code).toBe(1);
      expect((await health(keyed.url)).authenticated).toBe(true);
      expect((await runCli(['logout'], { env: as(keys.ops) })).code).toBe(0);
      expect((await health(keyed.url)).authenticated).toBe(false);
    } finally {
      await keyed.close();
    }
  });
});

describe('login --direct / logout --direct', () => {
  let sim: Simulator;
  let simUrl: string;
  beforeAll(async () => {
    sim = createSimulator();
    simUrl = await sim.listen();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('signs in to Evercycle and stores the tokens: a gateway started later with the same settings is signed in', async () => {
    const dataDir = path.join(await tempDir(), 'data');
    const env = { EVERCYCLE_BASE_URL: simUrl, EVERCYCLE_DATA_DIR: dataDir };
    const run = await runCli(['login', '--direct', '-u', USER, '--password-stdin'], { env, input: `${PASSWORD}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`Signed in to Evercycle (${simUrl}) as ${USER}; tokens stored in ${tokenFile(dataDir)} for the gateway, valid 3600 s.\n`);
    expectNoSecret(run);
    expect((await stat(tokenFile(dataDir))).mode & 0o777).toBe(0o600);
    expect(sim.calls()[SIGNIN]).toBe(1);

    const gw = await startGateway(simUrl, { dataDir });
    try {
      expect((await health(gw.url)).authenticated).toBe(true);
      expect((await getAll(gw.url)).status).toBe(200);
      // The gateway used the stored tokens: no sign-in of its own.
      expect(sim.calls()[SIGNIN]).toBe(1);
    } finally {
      await gw.close();
    }
  });

  it('encrypts the stored tokens with EVERCYCLE_SECRET_KEY, as the gateway would', async () => {
    const dataDir = await tempDir();
    const key = 'ab'.repeat(32);
    const run = await runCli(['login', '--direct', '-u', USER], { env: { EVERCYCLE_BASE_URL: simUrl, EVERCYCLE_DATA_DIR: dataDir, EVERCYCLE_SECRET_KEY: key, EVERCYCLE_PASSWORD: PASSWORD } });
    expect(run.code, run.stderr).toBe(0);
    const stored = JSON.parse(await readFile(tokenFile(dataDir), 'utf8')) as Record<string, unknown>;
    expect(stored).toHaveProperty('sealed');
    expect(stored).not.toHaveProperty('accessToken');

    const gw = await startGateway(simUrl, { dataDir, env: { EVERCYCLE_SECRET_KEY: key } });
    try {
      expect((await health(gw.url)).authenticated).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it('a wrong password exits 1 and stores nothing', async () => {
    const dataDir = await tempDir();
    const run = await runCli(['login', '--direct', '-u', USER, '--password-stdin'], { env: { EVERCYCLE_BASE_URL: simUrl, EVERCYCLE_DATA_DIR: dataDir }, input: 'nope\n' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: Authentication failed (Evercycle answered HTTP 401)\n');
    await expect(stat(tokenFile(dataDir))).rejects.toThrow();
  });

  it('needs EVERCYCLE_BASE_URL: the built-in simulator cannot be signed in to directly (exit 2, says why)', async () => {
    const run = await runCli(['login', '--direct', '-u', USER, '--password-stdin'], { env: { EVERCYCLE_DATA_DIR: await tempDir() }, input: `${PASSWORD}\n` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('login --direct needs EVERCYCLE_BASE_URL');
    expect(run.stderr).toContain('built-in simulator cannot be used');
  });

  it('an invalid setting is a usage error naming it', async () => {
    const run = await runCli(['login', '--direct', '-u', USER, '--password-stdin'], { env: { EVERCYCLE_BASE_URL: simUrl, EVERCYCLE_SECRET_KEY: 'short' }, input: `${PASSWORD}\n` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('EVERCYCLE_SECRET_KEY');
    expect(run.stderr).not.toContain('short');
  });

  it('--direct and --gateway exclude each other', async () => {
    const run = await runCli(['login', '--direct', '--gateway', stack.url, '-u', USER]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--direct.*cannot be used with.*--gateway/);
  });

  it('logout --direct deletes the token file, and says when there was none', async () => {
    const dataDir = await tempDir();
    const env = { EVERCYCLE_BASE_URL: simUrl, EVERCYCLE_DATA_DIR: dataDir };
    expect((await runCli(['login', '--direct', '-u', USER, '--password-stdin'], { env, input: `${PASSWORD}\n` })).code).toBe(0);
    const run = await runCli(['logout', '--direct'], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Deleted the stored Evercycle tokens (${tokenFile(dataDir)})`);
    await expect(stat(tokenFile(dataDir))).rejects.toThrow();

    const again = await runCli(['logout', '--direct'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(`No stored Evercycle tokens to delete (${tokenFile(dataDir)}).\n`);

    const gw = await startGateway(simUrl, { dataDir });
    try {
      expect((await health(gw.url)).authenticated).toBe(false);
    } finally {
      await gw.close();
    }
  });
});

describe('--help', () => {
  it.each(['login', 'logout'])('%s --help: exit 0, usage on stdout; login offers no --password option', async (command) => {
    const run = await runCli([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: evercycle-gateway ${command}`);
    expect(run.stdout).toContain('--direct');
    // An option line reads "  --name ..." or "  -x, --name ...".
    expect(run.stdout).not.toMatch(/^\s+(-\w, )?--password(?!-)/m);
  });
});
